using System;
using System.IO;
using System.Linq;
using Engram.Core;
using Engram.Core.Storage;
using Xunit;

namespace Engram.Core.Tests
{
    /// <summary>
    /// A write that starts a memory's history and dies between appending its first entry and renaming the memory file
    /// (found by the property test, tests/Engram.Storage.Tests/StorePropertyTest.cs): the write never happened, so the
    /// memory must not be tracked afterwards, readers must not see history, and the next writer cuts the entry.
    /// </summary>
    public class FirstTrackedWriteCrashTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();

        public void Dispose() => _t.Dispose();

        private void CrashAfterAppend(string ns, string key, object value, bool? track)
        {
            _t.Store.FaultHook = step => { if (step == "prov-appended") throw new SimulatedCrashException(step); };
            Assert.Throws<SimulatedCrashException>(() => _t.Set(ns, key, value, track: track));
            _t.Store.FaultHook = null;
            Assert.True(File.Exists(_t.P("_provenance", ns, key + ".prov")), "the crash left the appended entry: " + string.Join(", ", Directory.GetFiles(_t.Root, "*", SearchOption.AllDirectories)));
        }

        [Theory]
        [InlineData("shared", null)]   // tracked namespace, first write
        [InlineData("session", true)]  // untracked namespace, first write with -TrackProvenance
        public void ACreateThatDiedAfterItsAppend_LeavesNoHistory(string ns, bool? track)
        {
            CrashAfterAppend(ns, "k", "ghost", track);
            var store = _t.Reopen();
            Assert.Null(store.TryGet(ns, "k"));
            Assert.False(store.HasProvenance(ns, "k"));
            var ex = Assert.Throws<EngramException>(() => store.GetProvenance(ns, "k").ToList());
            Assert.Equal(EngramErrorIds.MemoryNotFound, ex.ErrorId);

            // Not tracked: an untracked write is accepted (it was refused with ProvenanceRequired) and cuts the entry.
            store.Set(new SetRequest(ns, "k", "real") { TrackProvenance = false, Actor = "tester" });
            Assert.False(File.Exists(_t.P("_provenance", ns, "k.prov")));
            Assert.False(store.HasProvenance(ns, "k"));
            Assert.Equal(1, store.Get(ns, "k").Version);
            Assert.All(store.Verify().Findings, f => Assert.Equal("OrphanTempFile", f.Kind)); // the crashed write's temp file, nothing else
        }

        [Fact]
        public void AnUntrackedMemoryWhoseFirstTrackedWriteDied_StaysUntracked()
        {
            _t.Set("session", "k", "v1");
            _t.Set("session", "k", "v2");
            CrashAfterAppend("session", "k", "v3", track: true);
            var store = _t.Reopen();
            Assert.Equal("v2", store.Get("session", "k").Value);
            Assert.False(store.HasProvenance("session", "k"));
            var ex = Assert.Throws<EngramException>(() => store.GetProvenance("session", "k").ToList());
            Assert.Equal(EngramErrorIds.NoProvenance, ex.ErrorId);

            // The next plain write stays untracked and leaves no history behind.
            store.Set(new SetRequest("session", "k", "v3") { Actor = "tester" });
            Assert.False(store.HasProvenance("session", "k"));
            Assert.False(File.Exists(_t.P("_provenance", "session", "k.prov")));
            Assert.Equal(3, store.Get("session", "k").Version);
            Assert.All(store.Verify().Findings, f => Assert.Equal("OrphanTempFile", f.Kind)); // the crashed write's temp file, nothing else
        }
    }
}
