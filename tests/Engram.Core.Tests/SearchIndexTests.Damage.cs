using System;
using System.IO;
using System.Linq;
using Engram.Core;
using Engram.Core.Search;
using Engram.Core.Storage;
using Xunit;

namespace Engram.Core.Tests
{
    public sealed partial class SearchIndexTests
    {
        private (string Root, EngramStore Store) Seeded(int seed, long minLogBytes = 600)
        {
            var r = new Random(seed);
            var root = _dir.NewRoot("seeded");
            var s = Open(root, minLogBytes);
            for (int i = 0; i < 40; i++) RandomWrite(s, r);
            s.Set(new SetRequest("shared", "deploy-target", "production canary") { Actor = "tester" });
            return (root, s);
        }

        private static bool IndexAnswers(string root, string query = "deploy") =>
            new FileStorage(root).FindText(new FileStorage(root).OpenRead(), SearchQuery.Parse(query), null, 10) != null;

        [Fact]
        public void AStoreWithoutAnIndex_IsScanned_AndItsNextWriteBuildsTheIndexOfThatNamespace()
        {
            var (root, s) = Seeded(21);
            var r = new Random(21);
            Directory.Delete(Path.Combine(root, "_index"), true); // a store written before the index
            Assert.False(IndexAnswers(root));
            AssertSameAsScan(root, r, "without an index", indexMustAnswer: false);
            Assert.Empty(s.Verify().Findings); // no index is not a problem

            s.Set(new SetRequest("shared", "new", "deploy again") { Actor = "tester" }); // builds shared's, in the write's transaction
            Assert.True(File.Exists(Path.Combine(root, "_index", "shared", "log")));
            Assert.False(IndexAnswers(root)); // session and notes have none yet: scanned
            Assert.True(new FileStorage(root).FindText(new FileStorage(root).OpenRead(), SearchQuery.Parse("deploy"), new[] { "shared" }, 10) != null);
            foreach (var ns in new[] { "session", "notes" }) s.Set(new SetRequest(ns, "new", "deploy") { Actor = "tester" });
            AssertSameAsScan(root, r, "after one write per namespace");
            Assert.Empty(s.Verify().Findings);
        }

        [Theory]
        [InlineData("log-garbage")]
        [InlineData("log-header")]
        [InlineData("segment-bit")]
        [InlineData("segment-cut")]
        [InlineData("segment-gone")]
        public void ADamagedIndex_GivesTheScansResults_IsReported_AndRepairRebuildsIt(string damage)
        {
            var (root, s) = Seeded(31, minLogBytes: 0); // every namespace has a segment
            var r = new Random(31);
            var dir = Path.Combine(root, "_index", "shared");
            var log = Path.Combine(dir, "log");
            var segment = Directory.GetFiles(dir, "seg-*").Single();
            switch (damage)
            {
                case "log-garbage": File.AppendAllText(log, "+ not a record\n"); break;
                case "log-header": File.WriteAllText(log, "engram-index 99 1\n"); break;
                case "segment-bit":
                    var bytes = File.ReadAllBytes(segment);
                    bytes[bytes.Length / 2] ^= 0x10;
                    File.WriteAllBytes(segment, bytes);
                    break;
                case "segment-cut":
                    using (var fs = new FileStream(segment, FileMode.Open)) fs.SetLength(fs.Length - 3);
                    break;
                case "segment-gone": File.Delete(segment); break;
            }
            SearchSegment.ForgetCached(); // (a copy read before the damage would still answer, rightly: the damage is on disk only)
            Assert.False(IndexAnswers(root));
            AssertSameAsScan(root, r, "damaged: " + damage, indexMustAnswer: false); // never an exception, never a wrong hit

            var finding = Assert.Single(s.Verify().Findings);
            Assert.Equal("SearchIndexMismatch", finding.Kind);
            Assert.Equal("shared", finding.Namespace);
            var repaired = s.Verify(repair: true);
            Assert.True(Assert.Single(repaired.Findings).Repaired);
            Assert.Empty(s.Verify().Findings);
            Assert.True(IndexAnswers(root));
            AssertSameAsScan(root, r, "rebuilt after: " + damage);
        }

        [Fact]
        public void AMemoryChangedByHand_IsNeverAStaleHit_IsReported_AndRepairRebuildsTheIndex()
        {
            var (root, s) = Seeded(41);
            var r = new Random(41);
            s.Set(new SetRequest("shared", "other", "unrelated words") { Actor = "tester" }); // so the hand-edited memory's record is not the log's last
            var path = s.MemoryPath("shared", "deploy-target");
            File.WriteAllText(path, File.ReadAllText(path).Replace("production canary", "zeppelin"));

            // The index still holds "production canary": a search whose hits name the memory sees it changed, and scans.
            Assert.DoesNotContain(s.Search("canary production", new[] { "shared" }), h => h.Memory.Key == "deploy-target");
            // (One that does not name it answers from the index: the edit is not seen until the index is rebuilt.)
            Assert.DoesNotContain(s.Search("zeppelin", new[] { "shared" }), h => h.Memory.Key == "deploy-target");

            var finding = Assert.Single(s.Verify().Findings, f => f.Kind == "SearchIndexMismatch");
            Assert.Contains("deploy-target", finding.Message);
            Assert.True(Assert.Single(s.Verify(repair: true).Findings, f => f.Kind == "SearchIndexMismatch").Repaired);
            Assert.Contains(s.Search("zeppelin", new[] { "shared" }), h => h.Memory.Key == "deploy-target");
            AssertSameAsScan(root, r, "after the rebuild");
        }

        [Fact]
        public void ALinkInTheIndexFolder_IsNeverFollowed_SearchesScan()
        {
            var (root, s) = Seeded(51);
            var outside = Path.Combine(_dir.Parent, "outside-index");
            Directory.CreateDirectory(outside);
            var dir = Path.Combine(root, "_index", "shared");
            foreach (var f in Directory.GetFiles(dir)) File.Copy(f, Path.Combine(outside, Path.GetFileName(f)));
            Directory.Delete(dir, true);
            Directory.CreateSymbolicLink(dir, outside);
            var before = Directory.GetFiles(outside).ToDictionary(f => f, File.ReadAllBytes);

            Assert.False(IndexAnswers(root));
            AssertSameAsScan(root, new Random(51), "with a link in _index", indexMustAnswer: false);
            // (A new store object: one proves each folder once, as it does every folder of the store.)
            var ex = Assert.Throws<EngramException>(() => Open(root, 600).Set(new SetRequest("shared", "x", "deploy") { Actor = "tester" }));
            Assert.Equal(EngramErrorIds.UnsafeStorePath, ex.ErrorId);
            Assert.Null(Open(root, 600).TryGet("shared", "x"));
            Assert.Contains(Open(root, 600).Verify().Findings, f => f.Kind == "UnsafeStorePath");
            foreach (var kv in before) Assert.Equal(kv.Value, File.ReadAllBytes(kv.Key)); // nothing outside was written
        }

        [Fact]
        public void AFailedWriteOfANewNamespace_LeavesNoIndexBehind()
        {
            var root = _dir.NewRoot("failed");
            var s = Open(root, 1000);
            s.Set(new SetRequest("shared", "a", "one") { Actor = "tester" });
            var before = StoreSnapshot.Take(root);
            s.FaultHook = step => { if (step == "index-appended") throw new IOException("disk full"); };
            var ex = Assert.Throws<EngramException>(() => s.Set(new SetRequest("session", "b", "two") { Actor = "tester" }));
            Assert.Equal(EngramErrorIds.WriteFailed, ex.ErrorId);
            StoreSnapshot.AssertSameFiles(before, StoreSnapshot.Take(root), "after the failed write");
            Assert.False(Directory.Exists(Path.Combine(root, "_index", "session")));
        }
    
        [Fact]
        public void ALargeValue_IsCountedByReaders_ThenByTheCompaction_WithTheScansResults()
        {
            var r = new Random(61);
            var (root, s) = Seeded(61, minLogBytes: 1L << 40);
            var large = string.Join(" ", Enumerable.Range(0, SearchIndex.DeferFrom / 3).Select(i => Words[i % Words.Length]));
            s.Set(new SetRequest("shared", "big", large) { Actor = "tester" });
            var memory = s.Get("shared", "big");
            // The write recorded the hash alone: counting the value would cost more than the write.
            Assert.EndsWith("? big " + memory.ContentHash + "\n", File.ReadAllText(Path.Combine(root, "_index", "shared", "log")));
            Assert.Contains(s.Search("zeppelin deploy", new[] { "shared" }), h => h.Memory.Key == "big");
            AssertSameAsScan(root, r, "with a deferred record", queries: 20);
            Assert.Empty(s.Verify().Findings);

            s.Files.Index.MinLogBytes = 0; // the next write compacts: the segment holds the large memory's counts
            s.Set(new SetRequest("shared", "small", "deploy") { Actor = "tester" });
            Assert.Equal("engram-index 1 " + Directory.GetFiles(Path.Combine(root, "_index", "shared"), "seg-*").Single().Split('-').Last() + "\n",
                File.ReadAllText(Path.Combine(root, "_index", "shared", "log")));
            AssertSameAsScan(root, r, "after the compaction", queries: 20);
            Assert.Empty(s.Verify().Findings);
        }
    }
}
