using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Engram.Host;
using Xunit;
using Xunit.Sdk;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>
    /// Base for the cmdlet tests: a fresh session per test (its own empty <c>$store</c>) plus helpers to run script
    /// that must succeed, read properties of the module's output objects (the test project does not reference the
    /// module assembly: everything goes through <see cref="PSObject"/>), and snapshot the store's files.
    /// </summary>
    public abstract class CmdletTestBase : PowerShellTestBase
    {
        protected CmdletTestBase(PowerShellFixture fixture) : base(fixture) { }

        /// <summary>Runs script that must neither throw nor write an error; returns its result.</summary>
        protected EngramRunResult Ok(string script, IDictionary<string, object?>? variables = null)
        {
            EngramRunResult result = Run(script, variables);
            AssertNoErrors(result);
            return result;
        }

        /// <summary>Runs script that must succeed and return exactly one object; returns it.</summary>
        protected PSObject Single(string script) => Assert.Single(Ok(script).Output);

        /// <summary>Runs script that must succeed and return exactly one value; returns its base object.</summary>
        protected object? Scalar(string script) => Assert.Single(Ok(script).Output)?.BaseObject;

        /// <summary>A property of an output object (the module's types are only known to PowerShell).</summary>
        /// <summary>A report's findings but the file store's search index ones (derived data that a change made by
        /// other means leaves behind too: asserted to be there, then set aside).</summary>
        protected static object[] WithoutSearchIndex(PSObject report)
        {
            var all = ((Array)Prop(report, "Findings")!).Cast<object>().ToArray();
            static bool IsIndex(object f) => Prop(PSObject.AsPSObject(f), "Kind") is "SearchIndexMismatch" or "DanglingIndexRecord";
            Assert.Contains(all, IsIndex);
            return all.Where(f => !IsIndex(f)).ToArray();
        }

        protected static object? Prop(PSObject o, string name)
        {
            PSPropertyInfo? p = o.Properties[name];
            if (p == null) throw new XunitException($"Object of type {o.TypeNames.FirstOrDefault()} has no property '{name}'.");
            return p.Value;
        }

        protected static T Prop<T>(PSObject o, string name) => Assert.IsType<T>(Unwrap(Prop(o, name)));

        protected static object? Unwrap(object? value) =>
            value is PSObject pso && !(pso.BaseObject is PSCustomObject) ? pso.BaseObject : value;

        protected static string[] Strings(object? value) =>
            ((IEnumerable)Unwrap(value)!).Cast<object?>().Select(o => Unwrap(o)?.ToString() ?? "").ToArray();

        /// <summary>The only error of a run; asserts its short id and category.</summary>
        protected static ErrorRecord SingleError(EngramRunResult result, string id, ErrorCategory category)
        {
            AssertErrorIds(result, id);
            ErrorRecord error = result.AllErrors.Single();
            Assert.Equal(category, error.CategoryInfo.Category);
            return error;
        }

        protected string StorePath(params string[] parts) => Path.Combine(new[] { Store }.Concat(parts).ToArray());

        /// <summary>Every file (path → bytes) and folder (path + '/' → empty) under the store.</summary>
        protected Dictionary<string, byte[]> Snapshot() => Snapshot(Store);

        protected static Dictionary<string, byte[]> Snapshot(string root)
        {
            var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            if (!Directory.Exists(root)) return files;
            foreach (string dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories))
                files[Path.GetRelativePath(root, dir) + "/"] = Array.Empty<byte>();
            foreach (string file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
                files[Path.GetRelativePath(root, file)] = File.ReadAllBytes(file);
            return files;
        }

        protected static void AssertSameFiles(Dictionary<string, byte[]> before, Dictionary<string, byte[]> after)
        {
            var added = after.Keys.Except(before.Keys).OrderBy(k => k).ToList();
            var removed = before.Keys.Except(after.Keys).OrderBy(k => k).ToList();
            var changed = before.Keys.Intersect(after.Keys).Where(k => !before[k].AsSpan().SequenceEqual(after[k])).OrderBy(k => k).ToList();
            if (added.Count + removed.Count + changed.Count == 0) return;
            throw new XunitException("The store changed:" +
                string.Concat(added.Select(k => Environment.NewLine + "  added   " + k)) +
                string.Concat(removed.Select(k => Environment.NewLine + "  removed " + k)) +
                string.Concat(changed.Select(k => Environment.NewLine + "  changed " + k)));
        }

        /// <summary>Relative paths of every file under the store (forward slashes), sorted.</summary>
        protected string[] StoreFiles() =>
            Directory.EnumerateFiles(Store, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(Store, f).Replace('\\', '/'))
                .OrderBy(f => f, StringComparer.Ordinal).ToArray();

        /// <summary>File names (not paths) in one folder of the store, sorted.</summary>
        protected string[] FileNames(params string[] folder) =>
            Directory.EnumerateFiles(StorePath(folder)).Select(Path.GetFileName).Select(f => f!)
                .OrderBy(f => f, StringComparer.Ordinal).ToArray();
    }
}
