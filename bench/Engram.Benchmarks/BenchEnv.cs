using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using Engram.Core;
using Engram.Core.Storage;

namespace Engram.Benchmarks
{
    /// <summary>Temp folders, shared fixtures and test values for the benchmarks.</summary>
    public static class BenchEnv
    {
        /// <summary>Where every benchmark store lives: $ENGRAM_BENCH_DIR, else &lt;temp&gt;/engram-bench.</summary>
        public static string BaseDir
        {
            get
            {
                var dir = Environment.GetEnvironmentVariable("ENGRAM_BENCH_DIR");
                if (string.IsNullOrWhiteSpace(dir)) dir = Path.Combine(Path.GetTempPath(), "engram-bench");
                Directory.CreateDirectory(dir);
                return Path.GetFullPath(dir);
            }
        }

        /// <summary>Stores shared by every benchmark process of one run (built once, reused by later processes).</summary>
        public static string FixtureDir => Path.Combine(BaseDir, "fixtures");

        /// <summary>A fresh, empty folder for one benchmark process (deleted by <see cref="DeleteDir"/> in GlobalCleanup).</summary>
        public static string NewTempDir(string prefix)
        {
            var dir = Path.Combine(BaseDir, "run", prefix + "-" + Guid.NewGuid().ToString("N").Substring(0, 10));
            Directory.CreateDirectory(dir);
            return dir;
        }

        public static void DeleteDir(string? dir)
        {
            if (dir == null) return;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                try
                {
                    if (Directory.Exists(dir)) Directory.Delete(dir, true);
                    return;
                }
                catch (IOException) { System.Threading.Thread.Sleep(50); }
                catch (UnauthorizedAccessException) { System.Threading.Thread.Sleep(50); }
            }
        }

        /// <summary>
        /// Returns the folder of a shared fixture, building it with <paramref name="build"/> the first time (in a
        /// scratch folder renamed into place when complete, so a half-built fixture is never reused).
        /// </summary>
        public static string Fixture(string name, Action<string> build)
        {
            var dir = Path.Combine(FixtureDir, name);
            if (Directory.Exists(dir)) return dir;
            Directory.CreateDirectory(FixtureDir);
            var scratch = dir + ".building-" + Environment.ProcessId;
            DeleteDir(scratch);
            Directory.CreateDirectory(scratch);
            var sw = Stopwatch.StartNew();
            Console.WriteLine($"// Engram: building fixture '{name}' in {scratch} ...");
            build(scratch);
            Directory.Move(scratch, dir);
            Sync();
            Console.WriteLine($"// Engram: fixture '{name}' built in {sw.Elapsed.TotalSeconds:0.0} s");
            return dir;
        }

        /// <summary>
        /// Flushes dirty pages (sync(1)) so that write-back of one benchmark's set-up does not land in the next
        /// measurement. No-op where there is no `sync`.
        /// </summary>
        public static void Sync()
        {
            if (OperatingSystem.IsWindows()) return;
            try { Run("sync", Path.GetTempPath()); }
            catch (Exception) { }
        }

        /// <summary>Creates a store with the default policy (shared and longterm tracked) and the given durability.</summary>
        public static EngramStore InitStore(string root, Durability durability = Durability.Normal)
        {
            var store = new EngramStore(root);
            store.Initialize(new StoreConfig { Durability = durability });
            return store;
        }

        /// <summary>Tracked by the default policy.</summary>
        public const string TrackedNs = "shared";
        /// <summary>Not tracked by the default policy.</summary>
        public const string UntrackedNs = "session";
        public const string Actor = "bench";

        private static readonly string[] Words =
        {
            "memory", "agent", "provenance", "branch", "merge", "the", "of", "store", "value", "key", "yaml", "deploy",
            "config", "production", "canary", "history", "a", "to", "with", "and", "reason", "context", "summary", "plan",
        };

        /// <summary>Deterministic single-line ASCII prose of exactly <paramref name="size"/> characters (= bytes).</summary>
        public static string Text(int size, int seed)
        {
            var rnd = new Random(seed);
            var sb = new StringBuilder(size + 32);
            sb.Append('v').Append(seed).Append(' ');
            while (sb.Length < size)
            {
                sb.Append(Words[rnd.Next(Words.Length)]);
                sb.Append(rnd.Next(12) == 0 ? ". " : " ");
            }
            sb.Length = size;
            sb[size - 1] = '.';
            return sb.ToString();
        }

        /// <summary>Runs a process to completion; throws with its output when it fails.</summary>
        public static string Run(string file, string workingDir, params string[] args)
        {
            var psi = new ProcessStartInfo(file)
            {
                WorkingDirectory = workingDir,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + file);
            var errTask = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var err = errTask.Result;
            if (p.ExitCode != 0)
                throw new InvalidOperationException($"'{file} {string.Join(" ", args)}' exited with {p.ExitCode}: {err}{output}");
            return output;
        }

        /// <summary>True when a working `git` is on PATH.</summary>
        /// <summary>
        /// The two sides of the git comparison holding the same memories: <paramref name="others"/> tracked memories
        /// besides <paramref name="key"/> in the store's tracked namespace, and the same files, committed, in a new git
        /// repository (<c>&lt;repo&gt;/shared/*.yaml</c>). Returns the repository path of <paramref name="key"/>'s file.
        /// </summary>
        public static string GitSideBySide(EngramStore store, string repo, string key, int others, byte[] initial)
        {
            void Git(params string[] a) => Run("git", repo, a);
            Git("init", "-q"); Git("config", "user.name", "bench"); Git("config", "user.email", "bench@example.invalid");
            Git("config", "commit.gpgsign", "false");
            var dir = Path.Combine(repo, "shared");
            Directory.CreateDirectory(dir);
            for (int i = 0; i < others; i++)
            {
                var other = "other-" + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
                store.Set(new SetRequest(TrackedNs, other, Text(100, i)) { Actor = Actor });
                File.Copy(store.MemoryPath(TrackedNs, other), Path.Combine(dir, other + ".yaml"));
            }
            var file = Path.Combine(dir, key + ".yaml");
            File.WriteAllBytes(file, initial);
            Git("add", "-A");
            Git("commit", "-q", "--no-verify", "-m", "initial");
            return file;
        }

        public static bool GitAvailable()
        {
            try
            {
                Run("git", Path.GetTempPath(), "--version");
                return true;
            }
            catch (Exception)
            {
                return false;
            }
        }
    }
}
