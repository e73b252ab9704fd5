using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core;
using Engram.Core.Provenance;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>Import as the engine does it: one write session, so a failure part way changes nothing.</summary>
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
            Assert.True(reported > export.MemoryCount, "the failure came after memories and histories were staged");
            var after = Reopen(dst);
            Assert.Empty(after.ListNamespaces());
            Assert.Empty(after.GetBranches());
            Assert.Equal(0, after.Export().HistoryCount);

            dst.Import(S.Export());
            AssertSameContent(S, Reopen(dst));
            AssertHealthy(Reopen(dst).Verify());
        }
    }
}
