using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core;
using Engram.Core.Provenance;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>Import as the engine does it: write sessions of a bounded size (all of a small store in one, so a failure
    /// part way changes nothing); a larger import that fails part way says how far it got and leaves whole memories.</summary>
    public abstract partial class BackendContract
    {
        [BackendFact]
        public void Import_ThatFailsPartWay_LeavesTheDestinationEmpty_AndCanBeRepeated()
        {
            RichStore(S);
            var export = S.Export();
            IEnumerable<IReadOnlyList<ProvenanceEntry>> FailingHistories()
            {
                foreach (var h in export.Histories.Take(2)) yield return h;
                throw new IOException("the source went away");
            }
            var failing = new StoreExport(export.Config, () => export.Memories, FailingHistories, () => export.Branches, export.MemoryCount, export.HistoryCount);

            var dst = Open(NewLocation());
            int reported = 0;
            Assert.Throws<IOException>(() => dst.Import(failing, (done, total, what) => reported = done));
            Assert.True(reported >= 2, "the failure came after histories were staged");
            var after = Reopen(dst);
            Assert.Empty(after.ListNamespaces());
            Assert.Empty(after.GetBranches());
            Assert.Equal(0, after.Export().HistoryCount);

            dst.Import(S.Export());
            AssertSameContent(S, Reopen(dst));
            AssertHealthy(Reopen(dst).Verify());
        }

        [BackendFact]
        public void Import_LargerThanABatch_CommitsInBatches_AndAFailureAfterOneSaysHowFarItGot_LeavingWholeMemories()
        {
            const int n = 1500; // and the mixed workload: histories, then memories, over 3,000 records, sessions of 1,000
            RichStore(S);
            var outcomes = S.SetMany(Enumerable.Range(1, n).Select(i => new SetRequest(Ns, "m" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture), i) { Actor = "tester" }).ToList());
            Assert.All(outcomes, o => Assert.Null(o.Error));
            var export = S.Export();
            int histories = export.HistoryCount, total = export.MemoryCount + export.HistoryCount;
            Assert.True(export.MemoryCount > n && histories > n);

            // Whole: every record arrives, in batches.
            var whole = Open(NewLocation());
            whole.Import(S.Export());
            AssertSameContent(S, Reopen(whole));
            AssertHealthy(Reopen(whole).Verify());

            // Failing after 1,200 of the memories: the sessions committed before (every history, some memories) stay.
            IEnumerable<MemoryRecord> FailingMemories()
            {
                foreach (var m in export.Memories.Take(1200)) yield return m;
                throw new IOException("the source went away");
            }
            var dst = Open(NewLocation());
            var ex = Throws(EngramErrorIds.WriteFailed, () => dst.Import(new StoreExport(export.Config, FailingMemories, () => export.Histories, () => export.Branches,
                export.MemoryCount, export.HistoryCount)));
            int committed = (histories + 1200) / 1000 * 1000;
            Assert.Contains("the source went away", ex.Message);
            Assert.Contains($"stopped after {committed} of {total}", ex.Message);
            var partial = Reopen(dst);
            var present = partial.ListNamespaces().SelectMany(ns => partial.ListKeys(ns, null).Select(k => (ns, k))).ToList();
            Assert.Equal(committed - histories, present.Count);
            foreach (var (ns, key) in present)
            {
                Assert.Equal(S.Get(ns, key).Version, partial.Get(ns, key).Version);
                if (S.HasProvenance(ns, key)) // whole: the memory with its history
                    Assert.Equal(S.GetProvenance(ns, key).Select(e => e.Hash), partial.GetProvenance(ns, key).Select(e => e.Hash));
            }
            Assert.Empty(partial.GetBranches());
            Throws(EngramErrorIds.StoreAlreadyExists, () => partial.Import(S.Export()));
        }
    }
}
