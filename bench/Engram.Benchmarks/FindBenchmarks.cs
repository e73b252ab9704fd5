using System;
using System.Collections.Generic;
using System.IO;
using BenchmarkDotNet.Attributes;
using Engram.Core;
using Engram.Core.Engine;
using Engram.Core.Storage;

namespace Engram.Benchmarks
{
    /// <summary>
    /// Find over 100,000 memories (issue 16, target 2): the file store answering from its index (<c>_index/</c>), the
    /// same store scanned (its index hidden: every memory read, as before the index), and SQLite FTS5 holding the same
    /// memories (<see cref="StoreSize"/>: ~100-byte prose, one unique word <c>v&lt;n&gt;</c> each). Queries: a rare word, a
    /// common one, two words (AND) and a prefix.
    /// </summary>
    public static class FindFixture
    {
        public const int Count = 100_000;

        /// <summary>Memories written one by one after the import, so the file index's log is near its compaction.</summary>
        public const int LateWrites = 12_000;

        /// <summary>Query → what it exercises.</summary>
        public static readonly (string Query, string What)[] Queries =
        {
            ("v4242", "a rare word (1 memory)"),
            ("canary", "a common word"),
            ("deploy production", "two words (AND)"),
            ("prov*", "a prefix"),
        };

        /// <summary>The file store (index built by its import) and the SQLite store, both of <see cref="Count"/> memories.</summary>
        public static (IEngramStore File, IEngramStore Scan, IEngramStore Sqlite) Open(string dir, List<Action> cleanup)
        {
            var file = StoreSize.Build("file", dir, Count, cleanup, out var fileLocation);
            var sqlite = StoreSize.Build("sqlite", dir, Count, cleanup);
            return (file, new EngramEngine(new ScanOnly(new FileStorage(fileLocation))), sqlite);
        }

        /// <summary>A file storage with its index hidden: the engine scans every memory.</summary>
        public sealed class ScanOnly : IEngramStorage
        {
            private readonly IEngramStorage _inner;
            public ScanOnly(IEngramStorage inner) { _inner = inner; }
            public string Kind => _inner.Kind;
            public string Location => _inner.Location;
            public bool Exists => _inner.Exists;
            public bool CanLeaveDanglingEntries => _inner.CanLeaveDanglingEntries;
            public StoreConfig? ReadConfig() => _inner.ReadConfig();
            public IStorageView OpenRead() => _inner.OpenRead();
            public IStorageWrite BeginWrite(bool repair = false) => _inner.BeginWrite(repair);
        }
    }

    /// <summary>BenchmarkDotNet: Find over 100,000 memories, file store with its index vs SQLite FTS5 (the scan is in
    /// <c>--ratios --only find</c>: seconds per call).</summary>
    [MemoryDiagnoser]
    public class FindComparison
    {
        [Params("v4242", "canary", "deploy production", "prov*")]
        public string Query = "canary";

        private readonly List<Action> _cleanup = new List<Action>();
        private string _dir = "";
        private IEngramStore _file = null!, _sqlite = null!;

        [GlobalSetup]
        public void Setup()
        {
            _dir = BenchEnv.NewTempDir("find");
            (_file, _, _sqlite) = FindFixture.Open(_dir, _cleanup);
        }

        [GlobalCleanup]
        public void Cleanup()
        {
            foreach (var c in _cleanup) c();
            BenchEnv.DeleteDir(_dir);
        }

        [Benchmark(Baseline = true, Description = "Find top 10 of 100,000: SQLite FTS5")]
        public int Sqlite() => _sqlite.Search(Query, new[] { BenchEnv.UntrackedNs }, 10).Count;

        [Benchmark(Description = "Find top 10 of 100,000: file store, index")]
        public int FileIndexed() => _file.Search(Query, new[] { BenchEnv.UntrackedNs }, 10).Count;
    }
}
