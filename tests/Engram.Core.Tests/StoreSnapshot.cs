using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Values;
using Xunit;

namespace Engram.Core.Tests
{
    /// <summary>
    /// Every file under a store root (relative '/'-separated path → bytes), except the <c>_lock</c> file, plus the set of
    /// folders. Two snapshots compare byte for byte, with a diff message naming what differs.
    /// </summary>
    public sealed class StoreSnapshot
    {
        private StoreSnapshot(SortedDictionary<string, byte[]> files, SortedSet<string> dirs)
        {
            Files = files;
            Directories = dirs;
        }

        public SortedDictionary<string, byte[]> Files { get; }
        public SortedSet<string> Directories { get; }

        public static StoreSnapshot Take(string root)
        {
            var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
            var dirs = new SortedSet<string>(StringComparer.Ordinal);
            if (Directory.Exists(root))
            {
                foreach (var d in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories))
                    dirs.Add(Rel(root, d));
                foreach (var f in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
                {
                    var rel = Rel(root, f);
                    if (rel == "_lock") continue;
                    files[rel] = File.ReadAllBytes(f);
                }
            }
            return new StoreSnapshot(files, dirs);
        }

        private static string Rel(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

        /// <summary>Null when both hold the same files with the same bytes; else a description of the differences.</summary>
        public static string? DiffFiles(StoreSnapshot expected, StoreSnapshot actual)
        {
            var sb = new StringBuilder();
            foreach (var kv in expected.Files)
            {
                if (!actual.Files.TryGetValue(kv.Key, out var a)) sb.Append("  missing: ").Append(kv.Key).Append('\n');
                else if (!kv.Value.AsSpan().SequenceEqual(a))
                {
                    sb.Append("  changed: ").Append(kv.Key).Append(" (").Append(kv.Value.Length).Append(" -> ").Append(a.Length).Append(" bytes)\n");
                    sb.Append(Indent("before", kv.Value)).Append(Indent("after", a));
                }
            }
            foreach (var k in actual.Files.Keys.Where(k => !expected.Files.ContainsKey(k)))
                sb.Append("  extra: ").Append(k).Append('\n');
            return sb.Length == 0 ? null : sb.ToString();
        }

        /// <summary>Folders that appeared or disappeared (ignoring <paramref name="ignored"/> top-level folders).</summary>
        public static string? DiffDirectories(StoreSnapshot expected, StoreSnapshot actual, params string[] ignored)
        {
            bool Keep(string d) => !ignored.Any(i => d == i || d.StartsWith(i + "/", StringComparison.Ordinal));
            var missing = expected.Directories.Where(Keep).Except(actual.Directories).ToList();
            var extra = actual.Directories.Where(Keep).Except(expected.Directories).ToList();
            if (missing.Count == 0 && extra.Count == 0) return null;
            return string.Concat(missing.Select(m => "  missing folder: " + m + "\n")) + string.Concat(extra.Select(e => "  extra folder: " + e + "\n"));
        }

        private static string Indent(string label, byte[] bytes)
        {
            var text = Encoding.UTF8.GetString(bytes);
            if (text.Length > 1500) text = "…" + text.Substring(text.Length - 1500);
            return "    --- " + label + " ---\n" + string.Concat(text.Split('\n').Select(l => "    | " + l + "\n"));
        }

        public static void AssertSameFiles(StoreSnapshot expected, StoreSnapshot actual, string context)
        {
            var diff = DiffFiles(expected, actual);
            Assert.True(diff == null, $"{context}: the store is not byte-for-byte as expected:\n{diff}");
        }
    }

    /// <summary>
    /// The logical content of some namespaces, as text: main's memories (key, version, tags, value), every branch
    /// (keys, change count, what it sees) and every history (entries without timestamps and hashes). Ids, timestamps
    /// and the random part of conflict-branch names are left out, so two stores built the same way compare equal.
    /// Checks every history chain on the way (seq gap-free, hashes, links).
    /// </summary>
    public static class StoreState
    {
        private static readonly Regex ConflictSuffix = new Regex("-conflict-[0-9a-z]{8}", RegexOptions.CultureInvariant);

        private static string N(string? s) => s == null ? "∅" : ConflictSuffix.Replace(s, "-conflict-X");

        public static string Value(object? v) => ValueCodec.ToYaml(v).Replace("\n...\n", "").TrimEnd('\n').Replace("\n", "⏎");

        private static string Mem(MemoryRecord? m) =>
            m == null ? "absent" : $"v{m.Version} [{string.Join(",", m.Tags)}] {Value(m.Value)}";

        public static string Capture(EngramStore store, params string[] namespaces)
        {
            var sb = new StringBuilder();
            foreach (var ns in namespaces)
            {
                sb.Append("namespace ").Append(ns).Append('\n');
                foreach (var key in store.ListKeys(ns, null))
                    sb.Append("  main ").Append(key).Append(": ").Append(Mem(store.TryGet(ns, key))).Append('\n');

                foreach (var b in store.GetBranches(ns).OrderBy(b => N(b.Record.Name), StringComparer.Ordinal))
                {
                    var r = b.Record;
                    sb.Append("  branch ").Append(N(r.Name)).Append(" keys=").Append(r.Keys == null ? "*" : string.Join(",", r.Keys))
                      .Append(" changed=").Append(b.ChangedCount).Append(" reason=").Append(N(r.Reason)).Append('\n');
                    foreach (var key in store.ListKeys(ns, r.Name))
                        sb.Append("    ").Append(key).Append(": ").Append(Mem(store.TryGet(ns, key, r.Name))).Append('\n');
                }

                var provDir = Path.Combine(store.Root, Names.ProvenanceNamespace, ns);
                if (!Directory.Exists(provDir)) continue;
                foreach (var f in Directory.EnumerateFiles(provDir, "*.prov").OrderBy(f => f, StringComparer.Ordinal))
                {
                    var key = Names.DecodeKey(Path.GetFileNameWithoutExtension(f))!;
                    var entries = store.GetProvenance(ns, key).ToList();
                    AssertChain(entries, $"history of {ns}/{key}");
                    sb.Append("  history ").Append(key).Append('\n');
                    foreach (var e in entries)
                        sb.Append("    ").Append(e.Seq).Append(' ').Append(e.Action).Append(" @").Append(N(e.Branch)).Append(" v").Append(e.Version)
                          .Append(" by ").Append(e.Actor).Append(" reason=").Append(N(e.Reason))
                          .Append(" hash=").Append(e.ContentHash == null ? "∅" : e.ContentHash.Substring(7, 12))
                          .Append(e.HasValue ? " value=" + Value(e.Value) : "")
                          .Append(e.Details != null ? " details=" + N(Value(e.Details)) : "").Append('\n');
                }
            }
            return sb.ToString();
        }

        /// <summary>Seq 1..n without gaps, every entry's own hash, and the prev-hash links.</summary>
        public static void AssertChain(IReadOnlyList<ProvenanceEntry> entries, string what)
        {
            for (int i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                Assert.True(e.Seq == i + 1, $"{what}: entry #{i + 1} has seq {e.Seq}");
                Assert.True(e.VerifyHash(), $"{what}: entry {e.Seq} does not verify");
                Assert.True(i == 0 ? e.PrevHash == null : e.PrevHash == entries[i - 1].Hash, $"{what}: entry {e.Seq} does not link to its predecessor");
            }
        }

        /// <summary>Asserts equal states with a line diff.</summary>
        public static void AssertEqual(string expected, string actual, string context)
        {
            if (expected == actual) return;
            var e = expected.Split('\n');
            var a = actual.Split('\n');
            var sb = new StringBuilder();
            foreach (var l in e.Except(a)) sb.Append("  - ").Append(l).Append('\n');
            foreach (var l in a.Except(e)) sb.Append("  + ").Append(l).Append('\n');
            Assert.Fail($"{context}: the logical store state differs (- expected, + actual):\n{sb}\nactual state:\n{actual}");
        }
    }

    /// <summary>A fresh scratch folder; the store lives in its "store" sub-folder. Deleted on dispose.</summary>
    public sealed class ScratchDir : IDisposable
    {
        public ScratchDir()
        {
            Parent = Path.Combine(Path.GetTempPath(), "engram-branch-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Parent);
        }

        public string Parent { get; }

        /// <summary>A new, empty store folder under the scratch folder.</summary>
        public string NewRoot(string name = "store") => Path.Combine(Parent, name + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));

        public void Dispose()
        {
            try { Directory.Delete(Parent, true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
