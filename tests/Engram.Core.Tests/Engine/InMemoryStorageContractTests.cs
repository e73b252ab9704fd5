using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;
using Xunit;

namespace Engram.Core.Tests.Engine
{
    /// <summary>The storage contract on <see cref="InMemoryStorage"/>, and what the in-memory storage adds to it.</summary>
    public sealed class InMemoryStorageContractTests : StorageContract
    {
        private InMemoryStorage InMemory => (InMemoryStorage)Storage;

        protected override IEngramStorage CreateStorage() => new InMemoryStorage();

        [Fact]
        public void KindAndDanglingEntries()
        {
            Assert.Equal("memory", Storage.Kind);
            Assert.Equal("memory:test", Storage.Location);
            Assert.False(Storage.CanLeaveDanglingEntries);
        }

        [Fact]
        public void ACrashBeforeCommit_LeavesTheStoreAsItWas_AndReleasesTheLock()
        {
            var id = NewId();
            var history = Chain(null, Ns, "k", id, 1);
            Write(w => { w.PutMemory(Memory(Ns, "k", "value 1", id: id)); w.Append(null, history); });
            var before = Dump();
            var steps = new List<string>();
            InMemory.FaultHook = step =>
            {
                steps.Add(step);
                throw new SimulatedCrashException(step);
            };
            using (var w = Storage.BeginWrite())
            {
                w.PutMemory(Memory(Ns, "k", "value 2", version: 2, id: id));
                w.Append(w.ReadTail(Ns, "k"), Chain(history[0], Ns, "k", id, 1));
                w.PutBranch(Branch(Ns, "feature"));
                w.PutConfig(new StoreConfig { TrackAll = true });
                Assert.Equal("before-commit", Assert.Throws<SimulatedCrashException>(() => w.Commit()).Step);
            }
            Assert.Equal(new[] { "before-commit" }, steps);
            Assert.Equal(before, Dump());
            InMemory.FaultHook = null;
            Write(w => w.PutMemory(Memory(Ns, "k", "value 2", version: 2, id: id))); // the writer lock was released
            Assert.Equal("value 2", Read(v => v.ReadMemory(Ns, "k"))!.Value);
        }

        [Fact]
        public void ValuesAreCopies_NeitherTheWritersNorAReadersObjectIsKept()
        {
            var value = Map("original", 1);
            var entry = Entry(null, Ns, "k", NewId(), ProvenanceActions.Created, 1, Map("original", 1));
            using (var w = Storage.BeginWrite())
            {
                w.PutMemory(Memory(Ns, "k", value));
                w.Append(null, new[] { entry });
                value["text"] = "changed by the writer after the put";
                ((EngramMap)entry.Value!)["text"] = "changed after the append";
                entry.Action = "mangled";
                w.Commit();
            }
            using (var v = Storage.OpenRead())
            {
                var first = (EngramMap)v.ReadMemory(Ns, "k")!.Value!;
                Assert.Equal("original", first["text"]);
                first["text"] = "changed by a reader";
                Assert.Equal("original", ((EngramMap)v.ReadMemory(Ns, "k")!.Value!)["text"]);
                var stored = v.ReadEntry(v.ReadTail(Ns, "k")!, includeValues: true);
                Assert.Equal(ProvenanceActions.Created, stored.Action);
                Assert.Equal("original", ((EngramMap)stored.Value!)["text"]);
                Assert.True(stored.VerifyHash());
            }
        }

        [Fact]
        public void AView_KeepsTheSnapshotItOpenedOn()
        {
            Write(w => w.PutMemory(Memory(Ns, "k", "old")));
            using (var older = Storage.OpenRead())
            {
                Write(w => { w.PutMemory(Memory(Ns, "k", "new", version: 2)); w.PutMemory(Memory(Ns, "k2", "added")); });
                Assert.Equal("old", older.ReadMemory(Ns, "k")!.Value);
                Assert.Equal(new[] { Ns }, older.Namespaces());
                Assert.Equal(1, older.CountMemories(Ns));
            }
            Assert.Equal("new", Read(v => v.ReadMemory(Ns, "k"))!.Value);
        }

        [Fact]
        public void AppendAfterAStaleTail_AndCutNewestAfterOtherChanges_AreRefused()
        {
            var id = NewId();
            var history = Chain(null, Ns, "k", id, 2);
            Write(w => w.Append(null, history));
            using (var w = Storage.BeginWrite())
            {
                var tail = w.ReadTail(Ns, "k")!;
                var older = w.ReadPrevious(tail)!;
                Assert.Throws<InvalidOperationException>(() => w.Append(older, Chain(history[0], Ns, "k", id, 1))); // would fork the chain
                Assert.Throws<InvalidOperationException>(() => w.Append(null, Chain(null, Ns, "k", id, 1)));        // the history is not new
                Assert.Throws<InvalidOperationException>(() => w.CutNewest(older));                               // not the newest
                w.PutMemory(Memory(Ns, "k", "value 2", version: 2, id: id));
                Assert.Throws<InvalidOperationException>(() => w.CutNewest(tail));                                // not first in the session
            }
            Assert.Equal(history.Select(e => e.Hash), Read(v => v.ReadHistory(Ns, "k", null, false).Select(e => e.Hash).ToList()));
        }

        [Fact]
        public void CutNewest_TakesEffectAtOnce_ForTheSessionAndWithoutCommit()
        {
            var id = NewId();
            var history = Chain(null, Ns, "k", id, 2);
            Write(w => w.Append(null, history));
            using (var w = Storage.BeginWrite())
            {
                w.CutNewest(w.ReadTail(Ns, "k")!);
                SameTail(history[0], w.ReadTail(Ns, "k"), Ns, "k");
                SameTail(history[0], Read(v => v.ReadTail(Ns, "k")), Ns, "k");
            } // not committed
            Assert.Equal(new[] { history[0].Hash }, Read(v => v.ReadHistory(Ns, "k", null, false).Select(e => e.Hash).ToList()));
            using (var w = Storage.BeginWrite())
            {
                w.CutNewest(w.ReadTail(Ns, "k")!); // the last entry: the history is gone
                w.Commit();
            }
            Assert.Null(Read(v => v.ReadTail(Ns, "k")));
            Assert.Empty(Read(v => v.Histories(null)));
        }

        [Fact]
        public void ASession_RefusesChangesAfterCommit_AndReadsAfterDispose()
        {
            IStorageWrite session;
            using (var w = Storage.BeginWrite())
            {
                session = w;
                w.PutMemory(Memory(Ns, "k", "v"));
                w.Commit();
                Assert.Throws<InvalidOperationException>(() => w.PutMemory(Memory(Ns, "k2", "v")));
                Assert.Throws<InvalidOperationException>(() => w.Commit());
            }
            Assert.Throws<ObjectDisposedException>(() => session.ReadMemory(Ns, "k"));
            session.Dispose(); // a second Dispose does not release the writer lock twice
            using (var w = Storage.BeginWrite()) Assert.NotNull(w.ReadMemory(Ns, "k"));
        }
    }
}
