using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core;
using Engram.Core.Engine;
using Engram.Core.Provenance;
using Engram.Core.Search;
using Engram.Core.Storage;
using Engram.Core.Values;
using Xunit;
using Xunit.Abstractions;

namespace Engram.Core.Tests
{
    /// <summary>
    /// The file store's search index (<c>_index/</c>) against the scan it replaces: the same keys, order and scores, bit
    /// for bit, for every query form, over random stores after sets, removes, merges, imports and crashes; and what
    /// happens when the index is missing, damaged or stale.
    /// </summary>
    public sealed partial class SearchIndexTests : IDisposable
    {
        private readonly ScratchDir _dir = new ScratchDir();
        private readonly ITestOutputHelper _out;

        public SearchIndexTests(ITestOutputHelper output) { _out = output; }

        public void Dispose() => _dir.Dispose();

        /// <summary>The same file storage with its index hidden: the engine scans every memory, as before the index.</summary>
        private sealed class ScanOnly : IEngramStorage
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

        private static readonly string[] Words =
        {
            "deploy", "deployment", "deployed", "canary", "config", "configure", "prod", "production", "alpha", "beta",
            "café", "cafe", "日本語", "über", "x1", "42", "3", "the", "a", "zeppelin", "𝒳ray", "ＦＵＬＬ", "naïve", "end",
        };

        private static readonly string[] Namespaces = { "shared", "session", "notes" };

        private static object? RandomValue(Random r)
        {
            string Text(int n) => string.Join(r.Next(3) == 0 ? "-" : " ", Enumerable.Range(0, n).Select(_ => Words[r.Next(Words.Length)]));
            switch (r.Next(9))
            {
                case 0: return r.Next(1000);
                case 1: return r.NextDouble() * 100;
                case 2: return r.Next(2) == 0;
                case 3: return new object?[] { Text(2), r.Next(50), null };
                case 4:
                    var map = new EngramMap();
                    map["owner"] = Text(1);
                    map[Words[r.Next(Words.Length)]] = Text(r.Next(1, 4));
                    return map;
                case 5: return new DateTime(2026, 1 + r.Next(12), 1 + r.Next(28), r.Next(24), 0, 0, DateTimeKind.Utc);
                case 6: return Guid.NewGuid();
                case 7: return null;
                default: return Text(r.Next(0, 12));
            }
        }

        private static string RandomKey(Random r) =>
            Words[r.Next(Words.Length)] + (r.Next(3) == 0 ? "/" + Words[r.Next(Words.Length)] : "") + (r.Next(2) == 0 ? "-" + r.Next(8) : "");

        private static string RandomQuery(Random r)
        {
            int n = 1 + r.Next(3);
            var words = new List<string>();
            for (int i = 0; i < n; i++)
            {
                var w = Words[r.Next(Words.Length)];
                if (r.Next(3) == 0)
                {
                    int cut = Math.Min(w.Length, 1 + r.Next(4));
                    if (char.IsHighSurrogate(w[cut - 1])) cut++; // never half a character
                    w = w.Substring(0, cut) + "*";
                }
                else if (r.Next(8) == 0) w = w.ToUpperInvariant();
                words.Add(w);
            }
            if (r.Next(6) == 0) words.Add("owner");
            return string.Join(" ", words);
        }

        /// <summary>
        /// The index answers (it is not bypassed) and gives exactly the scan's hits: keys, order, scores (bit for bit),
        /// for every namespace selection.
        /// </summary>
        private static void AssertSameAsScan(string root, Random r, string where, int queries = 12, bool indexMustAnswer = true)
        {
            var storage = new FileStorage(root);
            var indexed = new EngramEngine(storage);
            var scanned = new EngramEngine(new ScanOnly(new FileStorage(root)));
            for (int i = 0; i < queries; i++)
            {
                var query = RandomQuery(r);
                string[]? ns = r.Next(3) == 0 ? null : Namespaces.Where(_ => r.Next(2) == 0).ToArray();
                if (ns != null && ns.Length == 0) ns = null;
                int top = 1 + r.Next(12);
                var q = SearchQuery.Parse(query);
                if (indexMustAnswer)
                    Assert.True(storage.FindText(storage.OpenRead(), q, ns?.OrderBy(n => n, StringComparer.Ordinal).ToList(), top) != null,
                        $"{where}: the index did not answer '{query}' ({WhyNoAnswer(storage, root)})");
                var a = indexed.Search(query, ns, top);
                var b = scanned.Search(query, ns, top);
                string Show(IReadOnlyList<SearchHit> hits) => string.Join(", ", hits.Select(h => $"{h.Memory.Namespace}/{h.Memory.Key}={h.Score:R}"));
                Assert.True(a.Count == b.Count && a.Zip(b, (x, y) => x.Memory.Namespace == y.Memory.Namespace && x.Memory.Key == y.Memory.Key && x.Score.Equals(y.Score)).All(same => same),
                    $"{where}: '{query}' in [{(ns == null ? "all" : string.Join(",", ns))}] top {top}\n  index: {Show(a)}\n  scan:  {Show(b)}");
            }
        }

        private static string WhyNoAnswer(FileStorage storage, string root)
        {
            var why = new List<string>();
            if (Directory.Exists(Path.Combine(root, "_txn"))) why.Add("a transaction folder is there");
            foreach (var ns in Namespaces)
            {
                if (!Directory.Exists(Path.Combine(root, ns))) continue;
                try { if (storage.Index.Load(ns, checkLast: true) == null) why.Add($"{ns}: no index"); }
                catch (Exception ex) { why.Add($"{ns}: {ex.Message}"); }
            }
            return string.Join("; ", why);
        }

        private static void RandomWrite(EngramStore s, Random r)
        {
            var ns = Namespaces[r.Next(Namespaces.Length)];
            var keys = s.ListKeys(ns, null);
            switch (r.Next(10))
            {
                case 0 when keys.Count > 0:
                    s.Remove(ns, keys[r.Next(keys.Count)], "tester");
                    break;
                case 1 when keys.Count > 0 && ns == "shared":
                    var key = keys[r.Next(keys.Count)];
                    var versions = s.GetProvenance(ns, key).Where(e => e.HasValue && e.Action != ProvenanceActions.Deleted).ToList();
                    if (versions.Count > 1) s.Restore(ns, key, versions[0].Version, "tester");
                    break;
                default:
                    s.Set(new SetRequest(ns, r.Next(4) == 0 && keys.Count > 0 ? keys[r.Next(keys.Count)] : RandomKey(r), RandomValue(r)) { Actor = "tester" });
                    break;
            }
        }

        private static EngramStore Open(string root, long minLogBytes)
        {
            var s = new EngramStore(root);
            s.Files.Index.MinLogBytes = minLogBytes;
            return s;
        }

        [Theory]
        [InlineData(1, 1L << 40)] // never compacted: the log alone
        [InlineData(2, 600)]      // compacted every few writes: segments, superseded entries, removals across both
        [InlineData(3, 0)]        // compacted at every write
        public void RandomStoresAndQueries_IndexGivesTheScansResults(int seed, long minLogBytes)
        {
            var r = new Random(seed);
            for (int run = 0; run < 6; run++)
            {
                var root = _dir.NewRoot("prop");
                var s = Open(root, minLogBytes);
                int writes = 5 + r.Next(40);
                for (int i = 0; i < writes; i++)
                {
                    RandomWrite(s, r);
                    if (r.Next(8) == 0) AssertSameAsScan(root, r, $"run {run}, after write {i}", queries: 4);
                }
                AssertSameAsScan(root, r, $"run {run}, after {writes} writes");
                Assert.True(s.Verify().Healthy, $"run {run}: " + string.Join("; ", s.Verify().Findings.Select(f => f.Kind + ": " + f.Message)));
            }
        }

        [Fact]
        public void AfterBranchesMerged_IndexGivesTheScansResults()
        {
            var r = new Random(7);
            var root = _dir.NewRoot("merge");
            var s = Open(root, 800);
            for (int i = 0; i < 30; i++) RandomWrite(s, r);
            foreach (var ns in new[] { "shared", "session" })
            {
                s.Fork(ns, "feat", null, "tester");
                for (int i = 0; i < 12; i++)
                {
                    var keys = s.ListKeys(ns, "feat");
                    if (keys.Count > 0 && r.Next(4) == 0) s.Remove(ns, keys[r.Next(keys.Count)], "tester", branch: "feat");
                    else s.Set(new SetRequest(ns, r.Next(2) == 0 && keys.Count > 0 ? keys[r.Next(keys.Count)] : RandomKey(r), RandomValue(r)) { Actor = "tester", Branch = "feat" });
                }
                AssertSameAsScan(root, r, $"{ns}: branch written, not merged"); // a branch's writes are not the main line's
                s.Merge(ns, "feat", MergeStrategy.Theirs, "tester");
                AssertSameAsScan(root, r, $"{ns}: after the merge", queries: 20);
            }
            Assert.True(s.Verify().Healthy);
        }

        [Fact]
        public void AfterAnImport_IndexGivesTheScansResults_FromASegmentBuiltInTheImportsTransaction()
        {
            var r = new Random(11);
            var sourceRoot = _dir.NewRoot("source");
            var source = Open(sourceRoot, 1L << 40);
            for (int i = 0; i < 120; i++) RandomWrite(source, r);
            var root = _dir.NewRoot("imported");
            var target = Open(root, 4096);
            target.Import(source.Export());
            // A large import is compacted inside its transaction: each namespace has a segment and an empty log.
            foreach (var ns in target.ListNamespaces())
            {
                Assert.Equal("engram-index 1 1\n", File.ReadAllText(Path.Combine(root, "_index", ns, "log")));
                Assert.True(File.Exists(Path.Combine(root, "_index", ns, "seg-1")));
            }
            AssertSameAsScan(root, r, "after the import", queries: 30);
            for (int i = 0; i < 20; i++) RandomWrite(target, r);
            AssertSameAsScan(root, r, "after writes on the imported store", queries: 30);
            Assert.True(target.Verify().Healthy);
        }

        /// <summary>A merge of a branch with a few changes: a journalled write of several main-line memories.</summary>
        private static void RandomMerge(EngramStore s, Random r)
        {
            var ns = Namespaces[r.Next(Namespaces.Length)];
            var branch = "b" + r.Next(1000000);
            s.Fork(ns, branch, null, "tester");
            for (int i = 0; i < 1 + r.Next(3); i++)
            {
                var keys = s.ListKeys(ns, branch);
                if (keys.Count > 0 && r.Next(3) == 0) s.Remove(ns, keys[r.Next(keys.Count)], "tester", branch: branch);
                else s.Set(new SetRequest(ns, RandomKey(r), RandomValue(r)) { Actor = "tester", Branch = branch });
            }
            s.Merge(ns, branch, MergeStrategy.Theirs, "tester");
        }

        [Theory]
        [InlineData("prov-appended")]
        [InlineData("index-appended")]
        [InlineData("index-segment-written")]
        [InlineData("index-compacted")]
        [InlineData("staged")]
        [InlineData("committed")]
        [InlineData("applied-1")]
        [InlineData("applied-3")]
        public void ACrashAtAnyStep_NeverChangesResults_AndIsRecovered(string step)
        {
            var r = new Random(step.Sum(c => c) + (int)(Environment.GetEnvironmentVariable("ENGRAM_TEST_SEED") is string seed ? int.Parse(seed, System.Globalization.CultureInfo.InvariantCulture) : 0));
            bool journal = step == "staged" || step == "committed" || step.StartsWith("applied-", StringComparison.Ordinal);
            int crashes = 0;
            for (int run = 0; run < 6; run++)
            {
                var root = _dir.NewRoot("crash");
                var s = Open(root, step.StartsWith("index-", StringComparison.Ordinal) && step != "index-appended" ? 0 : 1000);
                for (int i = 0; i < 10 + r.Next(20); i++) RandomWrite(s, r);
                s.FaultHook = st => { if (st == step) throw new SimulatedCrashException(st); };
                bool crashed = false;
                for (int i = 0; i < 30 && !crashed; i++)
                {
                    try
                    {
                        if (journal) RandomMerge(s, r);
                        else RandomWrite(s, r);
                    }
                    catch (SimulatedCrashException) { crashed = true; crashes++; }
                }
                Assert.True(crashed, $"run {run}: no write reached '{step}'");
                // Readers right after the crash (no recovery yet): the index, or the scan while a transaction is pending.
                AssertSameAsScan(root, r, $"run {run}: right after a crash at '{step}'", queries: 8, indexMustAnswer: !Directory.Exists(Path.Combine(root, "_txn")));
                // The next process writes (recovering what was left), then searches again.
                var next = Open(root, 1000);
                next.Set(new SetRequest(Namespaces[r.Next(Namespaces.Length)], RandomKey(r), RandomValue(r)) { Actor = "next" }); // (recovers first)
                AssertSameAsScan(root, r, $"run {run}: after the next write", queries: 8);
                var repaired = next.Verify(repair: true);
                Assert.True(repaired.Healthy, $"run {run}: " + string.Join("; ", repaired.Findings.Where(f => !f.Repaired).Select(f => f.Kind + ": " + f.Message)));
                var after = next.Verify();
                Assert.True(after.Findings.Count == 0, $"run {run}: after the repair: " + string.Join("; ", after.Findings.Select(f => f.Kind + ": " + f.Message)));
                AssertSameAsScan(root, r, $"run {run}: after Verify(repair: true)", queries: 8);
            }
        }
    }
}
