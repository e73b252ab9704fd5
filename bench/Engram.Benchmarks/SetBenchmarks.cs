using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using Engram.Core;
using Engram.Core.Storage;

namespace Engram.Benchmarks
{
    /// <summary>
    /// One memory rewritten over and over (each call stores a different value, so every call is a real new version).
    /// Values are single-line prose of the given size; two alternate so the "same value" short cut never applies.
    /// </summary>
    public abstract class SetBenchmarkBase
    {
        [Params(100, 10 * 1024, 1024 * 1024)]
        public int ValueSize;

        protected string Root = "";
        protected EngramStore Store = null!;
        protected string[] Values = Array.Empty<string>();
        private int _n;

        protected string NextValue() => Values[(_n++) & 1];

        protected virtual Durability Durability => Durability.Normal;

        [GlobalSetup]
        public virtual void Setup()
        {
            Root = BenchEnv.NewTempDir(GetType().Name.ToLowerInvariant());
            Store = BenchEnv.InitStore(Root, Durability);
            Values = new[] { BenchEnv.Text(ValueSize, 1), BenchEnv.Text(ValueSize, 2) };
            Store.Set(new SetRequest(BenchEnv.UntrackedNs, "doc", Values[1]) { Actor = BenchEnv.Actor });
            Store.Set(new SetRequest(BenchEnv.TrackedNs, "doc", Values[1]) { Actor = BenchEnv.Actor });
            BenchEnv.Sync();
        }

        /// <summary>Other folders to delete in GlobalCleanup.</summary>
        protected readonly System.Collections.Generic.List<string> ExtraDirs = new System.Collections.Generic.List<string>();

        [GlobalCleanup]
        public void Cleanup()
        {
            BenchEnv.DeleteDir(Root);
            foreach (var d in ExtraDirs) BenchEnv.DeleteDir(d);
        }

        protected void SetUntracked()
        {
            var r = Store.Set(new SetRequest(BenchEnv.UntrackedNs, "doc", NextValue()) { Actor = BenchEnv.Actor, Reason = "bench" });
            if (!r.Changed || r.Entry != null) throw new InvalidOperationException("expected an untracked change");
        }

        protected void SetTracked()
        {
            var r = Store.Set(new SetRequest(BenchEnv.TrackedNs, "doc", NextValue()) { Actor = BenchEnv.Actor, Reason = "bench" });
            if (!r.Changed || r.Entry == null) throw new InvalidOperationException("expected a tracked change");
        }
    }

    /// <summary>Target 1: tracked Set (memory file + provenance append) ≤ 1.3× untracked Set.</summary>
    [MemoryDiagnoser]
    public class SetTrackedVsUntracked : SetBenchmarkBase
    {
        [Benchmark(Baseline = true, Description = "Set untracked")]
        public void Untracked() => SetUntracked();

        [Benchmark(Description = "Set tracked")]
        public void Tracked() => SetTracked();
    }

    /// <summary>
    /// Target 2: untracked Set ≤ 2× the raw floor, i.e. writing the very same memory-file bytes to a temp file and
    /// renaming it into place (what Set must do at the least, without parsing, hashing, locking or validation).
    /// </summary>
    [MemoryDiagnoser]
    public class SetVsRawFloor : SetBenchmarkBase
    {
        private byte[][] _bytes = Array.Empty<byte[]>();
        private string _target = "", _tmpDir = "";
        private int _m;

        public override void Setup()
        {
            base.Setup();
            // The exact bytes Set writes: let the store write each value once and take the file.
            _target = Store.MemoryPath(BenchEnv.UntrackedNs, "floor");
            _bytes = new byte[2][];
            for (int i = 0; i < 2; i++)
            {
                Store.Set(new SetRequest(BenchEnv.UntrackedNs, "floor", Values[i]) { Actor = BenchEnv.Actor });
                _bytes[i] = File.ReadAllBytes(_target);
            }
            _tmpDir = Path.Combine(Root, "_tmp");
            Directory.CreateDirectory(_tmpDir);
            BenchEnv.Sync();
        }

        [Benchmark(Baseline = true, Description = "Raw floor: write temp + rename")]
        public void RawFloor()
        {
            var bytes = _bytes[(_m++) & 1];
            var tmp = Path.Combine(_tmpDir, Guid.NewGuid().ToString("N") + ".tmp");
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
                fs.Write(bytes, 0, bytes.Length);
            File.Move(tmp, _target, true);
        }

        [Benchmark(Description = "Set untracked")]
        public void Untracked() => SetUntracked();
    }

    /// <summary>Durability: tracked Set with durability normal (the default) vs full (fsync before rename).</summary>
    [MemoryDiagnoser]
    public class SetDurability : SetBenchmarkBase
    {
        private EngramStore _full = null!;
        private string _fullRoot = "";
        private int _k;

        public override void Setup()
        {
            base.Setup();
            _fullRoot = BenchEnv.NewTempDir("durability-full");
            ExtraDirs.Add(_fullRoot);
            _full = BenchEnv.InitStore(_fullRoot, Durability.Full);
            _full.Set(new SetRequest(BenchEnv.TrackedNs, "doc", Values[1]) { Actor = BenchEnv.Actor });
            BenchEnv.Sync();
        }

        [Benchmark(Baseline = true, Description = "Set tracked, durability normal")]
        public void TrackedNormal() => SetTracked();

        [Benchmark(Description = "Set tracked, durability full")]
        public void TrackedFull()
        {
            var r = _full.Set(new SetRequest(BenchEnv.TrackedNs, "doc", Values[(_k++) & 1]) { Actor = BenchEnv.Actor, Reason = "bench" });
            if (!r.Changed || r.Entry == null) throw new InvalidOperationException("expected a tracked change");
        }
    }
}
