using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Engram.Host;
using Xunit;
using Xunit.Sdk;

namespace Engram.PowerShell.Tests
{
    /// <summary>
    /// Class fixture: finds the staged module (out/Engram/Engram.psd1) once per test class and hands out fresh,
    /// isolated sessions. Each test should take its own <see cref="CreateSession"/> (or derive from
    /// <see cref="PowerShellTestBase"/>, which does that per test).
    /// </summary>
    public sealed class PowerShellFixture : IDisposable
    {
        private readonly List<string> _tempDirectories = new List<string>();
        private readonly object _gate = new object();

        public PowerShellFixture()
        {
            // Throws a clear "run dotnet build -c Release" message when the module was not staged.
            ManifestPath = ModuleLocator.FindModuleManifest();
        }

        /// <summary>Full path of the staged Engram.psd1 the sessions import.</summary>
        public string ManifestPath { get; }

        /// <summary>
        /// A new runspace with the Engram module imported (unless <paramref name="importModule"/> is false), plus a
        /// unique empty temp store directory, available in PowerShell as <c>$store</c> (and <c>$testRoot</c>, its parent,
        /// for other scratch files). Host output is captured into each result's HostText, not printed.
        /// </summary>
        public PowerShellTestSession CreateSession(bool importModule = true, IEnumerable<string>? scriptedInput = null)
        {
            string root = CreateTempDirectory();
            string store = Directory.CreateDirectory(Path.Combine(root, "store")).FullName;
            var options = new EngramSessionOptions
            {
                ModuleManifestPath = ManifestPath,
                ImportModule = importModule,
                Output = TextWriter.Null,
                CaptureHostText = true,
                ScriptedInput = scriptedInput,
            };
            var session = new EngramSession(null, options);
            session.SetVariable("store", store);
            session.SetVariable("testRoot", root);
            return new PowerShellTestSession(session, root, store);
        }

        /// <summary>A unique, existing temp directory, deleted when the fixture is disposed (if not before).</summary>
        public string CreateTempDirectory()
        {
            string path = Path.Combine(Path.GetTempPath(), "engram-tests-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(path);
            lock (_gate) _tempDirectories.Add(path);
            return path;
        }

        public void Dispose()
        {
            lock (_gate)
            {
                foreach (string dir in _tempDirectories) TryDeleteDirectory(dir);
                _tempDirectories.Clear();
            }
        }

        internal static void TryDeleteDirectory(string path)
        {
            try
            {
                if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
                // A leaked temp dir must not fail a test run.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>One test's PowerShell session: the runspace, its temp store and shortcuts to run script.</summary>
    public sealed class PowerShellTestSession : IDisposable
    {
        private const string StoreVariable = "ENGRAM_STORE";
        private readonly string? _originalStoreVariable = Environment.GetEnvironmentVariable(StoreVariable);

        internal PowerShellTestSession(EngramSession session, string root, string store)
        {
            Session = session;
            Root = root;
            Store = store;
        }

        public EngramSession Session { get; }

        /// <summary>Unique temp directory for this session (<c>$testRoot</c>); holds <see cref="Store"/>.</summary>
        public string Root { get; }

        /// <summary>Unique, initially empty store directory (<c>$store</c>).</summary>
        public string Store { get; }

        /// <summary>The host UI: ProgressRecords, ScriptedInput.</summary>
        public EngramHostUserInterface UI => Session.Host.HostUI;

        public EngramRunResult Run(string script, IDictionary<string, object?>? variables = null, bool outDefault = false) =>
            Session.Run(script, variables, outDefault);

        public EngramRunResult RunFile(string path, params string[] args) => Session.RunFile(path, args);

        public void Dispose()
        {
            Session.Dispose();
            // $env: in a runspace is the *process* environment: undo a test's $env:ENGRAM_STORE so it cannot leak.
            if (Environment.GetEnvironmentVariable(StoreVariable) != _originalStoreVariable)
            {
                Environment.SetEnvironmentVariable(StoreVariable, _originalStoreVariable);
            }
            PowerShellFixture.TryDeleteDirectory(Root);
        }
    }

    /// <summary>
    /// Base class giving every test a fresh session: <c>Run("Get-EngramMemory -Store $store")</c>.
    /// Derived classes need a constructor taking <see cref="PowerShellFixture"/>.
    /// </summary>
    public abstract class PowerShellTestBase : IClassFixture<PowerShellFixture>, IDisposable
    {
        protected PowerShellTestBase(PowerShellFixture fixture)
        {
            Fixture = fixture;
            PS = fixture.CreateSession();
        }

        protected PowerShellFixture Fixture { get; }

        protected PowerShellTestSession PS { get; }

        protected string Store => PS.Store;

        protected EngramRunResult Run(string script, IDictionary<string, object?>? variables = null, bool outDefault = false) =>
            PS.Run(script, variables, outDefault);

        public virtual void Dispose() => PS.Dispose();
    }

    /// <summary>
    /// Tests that touch process-wide state ($env:ENGRAM_STORE, [Environment]::CurrentDirectory) must be in this
    /// collection: <c>[Collection(ProcessStateCollection.Name)]</c>. It never runs in parallel with other tests.
    /// </summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class ProcessStateCollection
    {
        public const string Name = "Process-wide state";
    }

    /// <summary>Assertions over <see cref="EngramRunResult"/>. <c>using static Engram.PowerShell.Tests.PSAssert;</c></summary>
    public static class PSAssert
    {
        /// <summary>Fails (showing every error, with ids and positions, and the host text) unless the run was clean.</summary>
        public static void AssertNoErrors(EngramRunResult result)
        {
            if (result.Succeeded) return;
            throw new XunitException("Expected no PowerShell errors, got:" + Environment.NewLine + Describe(result));
        }

        /// <summary>
        /// The ids of every error (error stream, then the terminating error) with the command part removed:
        /// "StoreNotFound,Engram.PowerShell.Commands.GetEngramMemoryCommand" becomes "StoreNotFound".
        /// </summary>
        public static IReadOnlyList<string> ErrorIds(EngramRunResult result) =>
            result.AllErrors.Select(e => ShortId(e.FullyQualifiedErrorId)).ToList();

        /// <summary>Asserts the run produced exactly these error ids, in order.</summary>
        public static void AssertErrorIds(EngramRunResult result, params string[] expected)
        {
            IReadOnlyList<string> actual = ErrorIds(result);
            if (!actual.SequenceEqual(expected))
            {
                throw new XunitException("Expected error ids [" + string.Join(", ", expected) + "], got [" +
                    string.Join(", ", actual) + "]:" + Environment.NewLine + Describe(result));
            }
        }

        public static string ShortId(string fullyQualifiedErrorId)
        {
            int comma = fullyQualifiedErrorId.IndexOf(',');
            return comma < 0 ? fullyQualifiedErrorId : fullyQualifiedErrorId.Substring(0, comma);
        }

        /// <summary>Human-readable dump of a result's errors and host text, for failure messages.</summary>
        public static string Describe(EngramRunResult result)
        {
            var lines = new List<string>();
            foreach (ErrorRecord error in result.Errors) lines.Add("[error] " + EngramSession.FormatError(error));
            if (result.Exception != null)
            {
                lines.Add("[terminating " + result.Exception.GetType().Name + "] " +
                    (result.TerminatingError is { } record ? EngramSession.FormatError(record) : result.Exception.Message));
            }
            if (result.HostText.Length > 0) lines.Add("[host text]" + Environment.NewLine + result.HostText);
            return string.Join(Environment.NewLine, lines);
        }
    }
}
