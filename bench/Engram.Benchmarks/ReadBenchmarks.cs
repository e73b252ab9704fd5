using System;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Engram.Core;

namespace Engram.Benchmarks
{
    /// <summary>One store with three tracked memories whose histories have 1, 1,000 and 10,000 entries.</summary>
    public static class HistoryFixture
    {
        public const string Ns = BenchEnv.TrackedNs;

        public static string Key(int revisions) => "history-" + revisions;

        public static EngramStore Open() => new EngramStore(BenchEnv.Fixture("history-v1", Build));

        private static void Build(string root)
        {
            var store = BenchEnv.InitStore(root);
            var values = new[] { BenchEnv.Text(100, 11), BenchEnv.Text(100, 12) };
            foreach (var n in new[] { 1, 1000, 10000 })
                for (int i = 0; i < n; i++)
                    store.Set(new SetRequest(Ns, Key(n), values[i & 1]) { Actor = BenchEnv.Actor, Reason = "revision " + (i + 1) });
            foreach (var n in new[] { 1, 1000, 10000 })
                if (store.Get(Ns, Key(n)).Version != n) throw new InvalidOperationException("fixture: wrong version for " + Key(n));
        }
    }

    /// <summary>Target 3: Get is flat in history length (Get never opens the .prov file): 10,000 within 1.2× of 1.</summary>
    [MemoryDiagnoser]
    public class GetByHistoryLength
    {
        private EngramStore _store = null!;

        [GlobalSetup]
        public void Setup() => _store = HistoryFixture.Open();

        [Benchmark(Baseline = true, Description = "Get, history of 1")]
        public MemoryRecord History1() => _store.Get(HistoryFixture.Ns, HistoryFixture.Key(1));

        [Benchmark(Description = "Get, history of 1,000")]
        public MemoryRecord History1000() => _store.Get(HistoryFixture.Ns, HistoryFixture.Key(1000));

        [Benchmark(Description = "Get, history of 10,000")]
        public MemoryRecord History10000() => _store.Get(HistoryFixture.Ns, HistoryFixture.Key(10000));
    }

    /// <summary>Target 4: reading a 10,000-entry history (streaming, all of it) and its newest 10 entries.</summary>
    [MemoryDiagnoser]
    public class ProvenanceRead
    {
        private EngramStore _store = null!;
        private readonly string _key = HistoryFixture.Key(10000);

        [GlobalSetup]
        public void Setup()
        {
            _store = HistoryFixture.Open();
            if (_store.GetProvenance(HistoryFixture.Ns, _key).Count() != 10000) throw new InvalidOperationException("fixture: expected 10,000 entries");
        }

        [Benchmark(Baseline = true, Description = "GetProvenance all 10,000 (streamed, with values)")]
        public int All()
        {
            int n = 0;
            foreach (var e in _store.GetProvenance(HistoryFixture.Ns, _key)) n++;
            return n;
        }

        [Benchmark(Description = "GetProvenance all 10,000, includeValues: false")]
        public int AllNoValues()
        {
            int n = 0;
            foreach (var e in _store.GetProvenance(HistoryFixture.Ns, _key, includeValues: false)) n++;
            return n;
        }

        [Benchmark(Description = "GetProvenance last: 10 of 10,000")]
        public int Last10() => _store.GetProvenance(HistoryFixture.Ns, _key, last: 10).Count();

        [Benchmark(Description = "GetProvenance last: 10 of 1,000")]
        public int Last10Of1000() => _store.GetProvenance(HistoryFixture.Ns, HistoryFixture.Key(1000), last: 10).Count();
    }
}
