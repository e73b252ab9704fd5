using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using Engram.Core;

namespace Engram.Benchmarks
{
    /// <summary>
    /// Target 7: the alternative a user would pick for versioned memories — a git repository with one `git add` +
    /// `git commit` per write (git run as a process, like a script would) — against a tracked Set (which also records
    /// who, when, why and the previous value). Program skips this class with a message when git is not installed.
    /// </summary>
    [MemoryDiagnoser]
    public class GitComparison
    {
        private string _root = "", _repo = "", _file = "";
        private EngramStore _store = null!;
        private string[] _values = Array.Empty<string>();
        private byte[][] _bytes = Array.Empty<byte[]>();
        private int _n, _m;

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
            Git("init", "-q");
            Git("config", "user.name", "bench");
            Git("config", "user.email", "bench@example.invalid");
            Git("config", "commit.gpgsign", "false");
            Directory.CreateDirectory(Path.Combine(_repo, "shared"));
            _file = Path.Combine(_repo, "shared", "doc.yaml");
            File.WriteAllBytes(_file, _bytes[1]);
            Git("add", "shared/doc.yaml");
            Git("commit", "-q", "--no-verify", "-m", "initial");
        }

        [GlobalCleanup]
        public void Cleanup()
        {
            BenchEnv.DeleteDir(_root);
            BenchEnv.DeleteDir(_repo);
        }

        private void Git(params string[] args) => BenchEnv.Run("git", _repo, args);

        [Benchmark(Baseline = true, Description = "Engram tracked Set (100 B)")]
        public SetResult EngramTracked() =>
            _store.Set(new SetRequest(BenchEnv.TrackedNs, "doc", _values[(_n++) & 1]) { Actor = BenchEnv.Actor, Reason = "bench" });

        [Benchmark(Description = "git: write file + git add + git commit")]
        public void GitAddCommit()
        {
            File.WriteAllBytes(_file, _bytes[(_m++) & 1]);
            Git("add", "shared/doc.yaml");
            Git("commit", "-q", "--no-verify", "-m", "bench");
        }
    }
}
