using System;
using System.IO;
using System.Linq;
using System.Text;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    /// <summary>A writer that dies between appending its provenance entry and renaming the memory file into place.</summary>
    public class DanglingEntryRecoveryTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();

        public void Dispose() => _t.Dispose();

        private string ProvPath => _t.P("_provenance", "shared", "k.prov");
        private string MemPath => _t.P("shared", "k.yaml");

        private void ThreeVersions()
        {
            _t.Set("shared", "k", "v1");
            _t.Set("shared", "k", "v2");
            _t.Set("shared", "k", "v3");
        }

        /// <summary>Builds the entry the next writer would append (without writing the memory file).</summary>
        private ProvenanceEntry NextEntry(string action, int version, object? value, bool hasValue = true)
        {
            var log = new ProvenanceLog(ProvPath);
            var tail = log.ReadTail()!;
            var prev = _t.Store.GetProvenance("shared", "k", last: 1).Single();
            var e = new ProvenanceEntry
            {
                Seq = tail.Seq + 1,
                MemoryId = prev.MemoryId,
                Namespace = "shared",
                Key = "k",
                Action = action,
                Actor = "ghost",
                TimestampUtc = DateTime.UtcNow,
                Version = version,
                ContentHash = hasValue ? ValueCodec.ContentHash(value) : null,
                PrevHash = tail.Hash,
                HasValue = hasValue,
                Value = hasValue ? value : null,
            };
            e.Hash = e.ComputeHash();
            return e;
        }

        private void AppendDangling(ProvenanceEntry e)
        {
            var log = new ProvenanceLog(ProvPath);
            var tail = log.ReadTail()!;
            log.Append(e, tail.ValidLength, Durability.Normal);
            Assert.Equal(e.Seq, new ProvenanceLog(ProvPath).ReadTail()!.Seq);
        }

        [Fact]
        public void DanglingEntry_IsHidden_ThenCutByTheNextWriter()
        {
            ThreeVersions();
            var goodBytes = File.ReadAllBytes(ProvPath);
            AppendDangling(NextEntry("revised", 4, "ghost value"));
            Assert.True(new FileInfo(ProvPath).Length > goodBytes.Length);

            // Readers do not see it.
            var hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal(new long[] { 1, 2, 3 }, hist.Select(e => e.Seq));
            Assert.Equal(3, _t.Store.GetProvenance("shared", "k", last: 1).Single().Version);
            Assert.Equal(new long[] { 2, 3 }, _t.Store.GetProvenance("shared", "k", last: 2).Select(e => e.Seq));
            Assert.Equal("v3", _t.Store.Get("shared", "k").Value);
            Assert.Equal(3, _t.Store.Get("shared", "k").Version);

            // The next write cuts it and continues gap-free.
            var r = _t.Reopen().Set(new SetRequest("shared", "k", "v4") { Actor = "real" });
            Assert.Equal(4, r.Memory.Version);
            Assert.Equal(4, r.Entry!.Seq);
            hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal(new long[] { 1, 2, 3, 4 }, hist.Select(e => e.Seq));
            Assert.Equal(new[] { 1, 2, 3, 4 }, hist.Select(e => e.Version));
            Assert.Equal("v4", hist[3].Value);
            Assert.Equal("real", hist[3].Actor);
            AssertChain(hist);
            var text = File.ReadAllText(ProvPath);
            Assert.DoesNotContain("ghost", text);
            Assert.Equal(goodBytes, File.ReadAllBytes(ProvPath).Take(goodBytes.Length).ToArray());
        }

        [Fact]
        public void DanglingEntry_IsCut_EvenByANoOpWrite()
        {
            ThreeVersions();
            var goodBytes = File.ReadAllBytes(ProvPath);
            AppendDangling(NextEntry("revised", 4, "ghost value"));
            var r = _t.Set("shared", "k", "v3");
            Assert.False(r.Changed);
            Assert.Equal(goodBytes, File.ReadAllBytes(ProvPath));
        }

        [Fact]
        public void DanglingEntry_IsCutByRemove_Too()
        {
            ThreeVersions();
            AppendDangling(NextEntry("revised", 4, "ghost value"));
            var del = _t.Store.Remove("shared", "k", "tester");
            Assert.Equal(4, del!.Seq);
            Assert.Equal(3, del.Version);
            var hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal(new[] { "created", "revised", "revised", "deleted" }, hist.Select(e => e.Action));
            AssertChain(hist);
        }

        [Fact]
        public void TornAppend_IsIgnoredByReaders_AndCutByTheNextWriter()
        {
            ThreeVersions();
            var goodBytes = File.ReadAllBytes(ProvPath);
            var e = NextEntry("revised", 4, "a torn value that never made it\nover several lines");
            var text = ProvenanceLog.Serialize(e, goodBytes.Length);
            var bytes = Encoding.UTF8.GetBytes(text);
            foreach (var cut in new[] { bytes.Length / 2, 1, bytes.Length - 1, bytes.Length - 10 })
            {
                File.WriteAllBytes(ProvPath, goodBytes.Concat(bytes.Take(cut)).ToArray());
                var hist = _t.Store.GetProvenance("shared", "k").ToList();
                Assert.Equal(new long[] { 1, 2, 3 }, hist.Select(x => x.Seq));
                AssertChain(hist);
                Assert.Equal(new long[] { 3 }, _t.Store.GetProvenance("shared", "k", last: 1).Select(x => x.Seq));
            }

            var r = _t.Set("shared", "k", "v4");
            Assert.Equal(4, r.Entry!.Seq);
            var after = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal(new long[] { 1, 2, 3, 4 }, after.Select(x => x.Seq));
            Assert.Equal(new[] { 1, 2, 3, 4 }, after.Select(x => x.Version));
            AssertChain(after);
            Assert.DoesNotContain("torn", File.ReadAllText(ProvPath));
        }

        [Fact]
        public void TornAppendOfTheVeryFirstEntry_IsCut_AndTheMemoryStartsFresh()
        {
            // The first write of a new tracked memory died mid-append: a partial .prov and no memory file.
            Directory.CreateDirectory(Path.GetDirectoryName(ProvPath)!);
            _t.Set("shared", "other", 1); // creates the store
            var e = new ProvenanceEntry
            {
                Seq = 1, MemoryId = "abc", Namespace = "shared", Key = "k", Action = "created", Actor = "ghost",
                TimestampUtc = DateTime.UtcNow, Version = 1, ContentHash = ValueCodec.ContentHash("x"), HasValue = true, Value = "x",
            };
            e.Hash = e.ComputeHash();
            var text = ProvenanceLog.Serialize(e, 0);
            File.WriteAllText(ProvPath, text.Substring(0, text.Length / 2), new UTF8Encoding(false));

            Throws(EngramErrorIds.MemoryNotFound, () => _t.Store.GetProvenance("shared", "k").ToList());
            Assert.Null(_t.Store.TryGet("shared", "k"));

            var r = _t.Set("shared", "k", "real");
            Assert.Equal(1, r.Memory.Version);
            Assert.NotEqual("abc", r.Memory.Id);
            var hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Single(hist);
            Assert.Equal("created", hist[0].Action);
            AssertChain(hist);
            Assert.DoesNotContain("ghost", File.ReadAllText(ProvPath));
        }

        [Fact]
        public void DanglingDeleted_WhileTheFileStillExists_IsHidden_AndCut()
        {
            ThreeVersions();
            var goodBytes = File.ReadAllBytes(ProvPath);
            AppendDangling(NextEntry("deleted", 3, null, hasValue: false));

            Assert.Equal("v3", _t.Store.Get("shared", "k").Value);
            var hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal(new[] { "created", "revised", "revised" }, hist.Select(e => e.Action));
            Assert.Equal("revised", _t.Store.GetProvenance("shared", "k", last: 1).Single().Action);

            var r = _t.Set("shared", "k", "v4");
            Assert.Equal(4, r.Memory.Version);
            Assert.Equal(4, r.Entry!.Seq);
            Assert.Equal("revised", r.Entry.Action);
            hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal(new[] { "created", "revised", "revised", "revised" }, hist.Select(e => e.Action));
            AssertChain(hist);
            Assert.Equal(goodBytes, File.ReadAllBytes(ProvPath).Take(goodBytes.Length).ToArray());
            Assert.DoesNotContain("ghost", File.ReadAllText(ProvPath));
        }

        [Fact]
        public void DanglingCreated_AfterADelete_IsHidden_AndCut()
        {
            ThreeVersions();
            _t.Store.Remove("shared", "k", "tester");
            AppendDangling(NextEntry("created", 4, "ghost value"));

            Assert.Null(_t.Store.TryGet("shared", "k"));
            var hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal("deleted", hist.Last().Action);
            Assert.Equal(4, hist.Count);

            var r = _t.Set("shared", "k", "back");
            Assert.Equal(4, r.Memory.Version);
            Assert.Equal(5, r.Entry!.Seq);
            Assert.Equal("created", r.Entry.Action);
            Assert.Equal(hist[0].MemoryId, r.Memory.Id);
            hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal(new[] { "created", "revised", "revised", "deleted", "created" }, hist.Select(e => e.Action));
            AssertChain(hist);
        }

        [Fact]
        public void HistoryThatDoesNotMatchTheMemory_IsMalformed_AndNothingIsWritten()
        {
            ThreeVersions();
            AppendDangling(NextEntry("revised", 7, "from nowhere")); // not current+1: not a crash Engram can explain
            var before = Snapshot(_t.Root);
            Throws(EngramErrorIds.MalformedProvenance, () => _t.Set("shared", "k", "v4"));
            Throws(EngramErrorIds.MalformedProvenance, () => _t.Store.Remove("shared", "k", "tester"));
            AssertUnchanged(before, Snapshot(_t.Root));
        }

        [Fact]
        public void MemoryFileDeletedByHand_DoesNotLetTheNextWriteCutCommittedHistory()
        {
            // Not a crash: the log's last entry is a committed revision. Treating it as dangling would silently
            // destroy history; the file was lost, so the write continues the history instead (nothing is cut).
            ThreeVersions();
            var history = File.ReadAllBytes(ProvPath);
            File.Delete(MemPath);
            var r = _t.Set("shared", "k", "v4");
            Assert.Equal(4, r.Memory.Version);
            Assert.Equal("revised", r.Entry!.Action);
            Assert.Equal(history, File.ReadAllBytes(ProvPath).Take(history.Length).ToArray());
            var hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal(new object[] { "v1", "v2", "v3", "v4" }, hist.Select(e => e.Value));
            AssertChain(hist);
            Assert.True(_t.Store.Verify().Healthy);
        }

        [Fact]
        public void MemoryFileDeletedByHand_IsMissingForTheVerifier_AndRepairDoesNotCutCommittedHistory()
        {
            // Same rule as the writer's (above): only a first create or a re-create after a deletion can be a crashed
            // write when there is no memory file; a committed revision is never cut: the file is missing.
            ThreeVersions();
            File.Delete(MemPath);
            var before = Snapshot(_t.Root);
            var report = _t.Store.Verify();
            var finding = Assert.Single(report.Findings, f => f.Key == "k");
            Assert.Equal("MissingMemory", finding.Kind);
            Assert.False(finding.Repaired);
            AssertUnchanged(before, Snapshot(_t.Root));
        }

        [Fact]
        public void SimulatedCrashDuringTheFirstCreate_IsRecovered()
        {
            _t.Store.Initialize();
            var crashing = _t.Reopen();
            crashing.FaultHook = step => { if (step == "prov-appended") throw new SimulatedCrashException(step); };
            Assert.Throws<SimulatedCrashException>(() => crashing.Set(new SetRequest("shared", "k", "lost") { Actor = "t" }));
            Assert.True(File.Exists(ProvPath));
            Assert.False(File.Exists(MemPath));
            Assert.Null(_t.Store.TryGet("shared", "k"));
            try { Assert.Empty(_t.Store.GetProvenance("shared", "k").ToList()); }
            catch (EngramException ex) { Assert.Equal(EngramErrorIds.MemoryNotFound, ex.ErrorId); }

            var r = _t.Set("shared", "k", "real");
            Assert.Equal(1, r.Memory.Version);
            var hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal("real", Assert.Single(hist).Value);
            AssertChain(hist);
            Assert.DoesNotContain("lost", File.ReadAllText(ProvPath));
        }

        [Fact]
        public void SimulatedCrashAfterAppend_LeavesADanglingEntry_ThatIsRecovered()
        {
            ThreeVersions();
            var crashing = _t.Reopen();
            crashing.FaultHook = step => { if (step == "prov-appended") throw new SimulatedCrashException(step); };
            Assert.Throws<SimulatedCrashException>(() => crashing.Set(new SetRequest("shared", "k", "lost") { Actor = "t" }));

            Assert.Equal("v3", _t.Store.Get("shared", "k").Value);
            Assert.Contains("lost", File.ReadAllText(ProvPath)); // the entry is there...
            Assert.Equal(3, _t.Store.GetProvenance("shared", "k").Count()); // ...but hidden

            var r = _t.Reopen().Set(new SetRequest("shared", "k", "v4") { Actor = "t" });
            Assert.Equal(4, r.Memory.Version);
            var hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal(new[] { "v1", "v2", "v3", "v4" }, hist.Select(e => (string)e.Value!));
            AssertChain(hist);
            Assert.DoesNotContain("lost", File.ReadAllText(ProvPath));
        }

        [Fact]
        public void FailureAfterAppend_IsRolledBack_AndTheStoreIsUnchanged()
        {
            ThreeVersions();
            var before = Snapshot(_t.Root);
            var failing = _t.Reopen();
            failing.FaultHook = step => { if (step == "prov-appended") throw new IOException("disk on fire"); };
            var ex = Throws(EngramErrorIds.WriteFailed, () => failing.Set(new SetRequest("shared", "k", "v4") { Actor = "t" }));
            Assert.IsType<IOException>(ex.InnerException);
            AssertUnchanged(before, Snapshot(_t.Root));
        }

        [Fact]
        public void FailureAfterTheFirstAppend_RemovesTheNewLog()
        {
            _t.Set("shared", "other", 1);
            var before = Snapshot(_t.Root);
            var failing = _t.Reopen();
            failing.FaultHook = step => { if (step == "prov-appended") throw new IOException("disk on fire"); };
            Throws(EngramErrorIds.WriteFailed, () => failing.Set(new SetRequest("shared", "k", "v1") { Actor = "t" }));
            Assert.False(File.Exists(ProvPath));
            Assert.False(File.Exists(MemPath));
            AssertUnchanged(before, Snapshot(_t.Root));
            // Not tracked-by-history now: an explicit opt-out works.
            Assert.Null(_t.Set("shared", "k", "v1", track: false).Entry);
        }
    }
}
