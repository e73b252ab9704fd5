using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using Engram.Core;

namespace Engram.Benchmarks
{
    /// <summary>
    /// Target 7: the alternative a user would pick for versioned memories — a git repository with one `git add` +
    /// `git commit` per write (git run as a process, like a script would) — against a tracked Set (which also records
    /// who, when, why and the previous value), with 1, 1,000 and 10,000 memories in the store and the repository (git's
    /// index and tree are rewritten per commit; Engram's write touches one memory). Program skips this class with a
    /// message when git is not installed.
    /// </summary>
    [MemoryDiagnoser]
    public class GitComparison
    {
        private string _root = "", _repo = "", _file = "";
        private EngramStore _store = null!;
        private string[] _values = Array.Empty<string>();
        private byte[][] _bytes = Array.Empty<byte[]>();
        private int _n, _m;

        /// <summary>How many memories the store and the repository hold (the written one included).</summary>
        [Params(1, 1000, 10000)]
        public int Memories { get; set; }

        [GlobalSetup]
        public void Setup()
        {
            if (!BenchEnv.GitAvailable()) throw new InvalidOperationException("git is not installed (not on PATH): the git comparison cannot run.");
            _root = BenchEnv.NewTempDir("git-engram");
            _store = BenchEnv.InitStore(_root);
            _values = new[] { BenchEnv.Text(100, 1), BenchEnv.Text(100, 2) };
            _bytes = new byte[2][];
            for (int i = 0; i < 2; i++)
            {
                _store.Set(new SetRequest(BenchEnv.TrackedNs, "doc", _values[i]) { Actor = BenchEnv.Actor });
                _bytes[i] = File.ReadAllBytes(_store.MemoryPath(BenchEnv.TrackedNs, "doc"));
            }

            _repo = BenchEnv.NewTempDir("git-repo");
            _file = BenchEnv.GitSideBySide(_store, _repo, "doc", Memories - 1, _bytes[1]);
        }

        [GlobalCleanup]
        public void Cleanup()
        {
            BenchEnv.DeleteDir(_root);
            BenchEnv.DeleteDir(_repo);
        }

        [Benchmark(Baseline = true, Description = "Engram tracked Set (100 B)")]
        public SetResult EngramTracked() =>
            _store.Set(new SetRequest(BenchEnv.TrackedNs, "doc", _values[(_n++) & 1]) { Actor = BenchEnv.Actor, Reason = "bench" });

        [Benchmark(Description = "git: write file + git add + git commit")]
        public void GitAddCommit()
        {
            File.WriteAllBytes(_file, _bytes[(_m++) & 1]);
            BenchEnv.Run("git", _repo, "add", "shared/doc.yaml");
            BenchEnv.Run("git", _repo, "commit", "-q", "--no-verify", "-m", "bench");
        }
    }
}
