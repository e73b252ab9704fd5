using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;
using Xunit;

namespace Engram.Core.Tests.Engine
{
    /// <summary>The storage contract, part two: histories, the derived-from index and write sessions.</summary>
    public abstract partial class StorageContract
    {
        // ------------------------------------------------------------------ histories

        [Fact]
        public void Histories_GrowBySessions_AndReadTailPreviousEntryAndRangeAgree()
        {
            var id = NewId();
            var all = Chain(null, Ns, "k", id, 1);
            Write(w => w.Append(null, all));
            var tail1 = Read(v => v.ReadTail(Ns, "k"));
            SameTail(all[0], tail1, Ns, "k");
            var more = Chain(all[0], Ns, "k", id, 2);
            Write(w => w.Append(tail1, more));
            all.AddRange(more);
            var onBranch = Entry(all[2], Ns, "k", id, ProvenanceActions.Revised, 4, Map("on feature", 4), branch: "feature");
            Write(w => w.Append(w.ReadTail(Ns, "k"), new[] { onBranch }));
            all.Add(onBranch);
            var deleted = Entry(onBranch, Ns, "k", id, ProvenanceActions.Deleted, 3, null);
            Write(w => w.Append(w.ReadTail(Ns, "k"), new[] { deleted }));
            all.Add(deleted);

            using (var v = Storage.OpenRead())
            {
                var tails = new List<HistoryTail>();
                for (var t = v.ReadTail(Ns, "k"); t != null; t = v.ReadPrevious(t)) tails.Insert(0, t);
                Assert.Equal(all.Count, tails.Count);
                for (int i = 0; i < all.Count; i++)
                {
                    SameTail(all[i], tails[i], Ns, "k");
                    SameEntry(all[i], v.ReadEntry(tails[i], includeValues: true), withValue: true);
                    SameEntry(all[i], v.ReadEntry(tails[i], includeValues: false), withValue: false);
                    Assert.Equal(i == 0 ? null : all[i - 1].Hash, all[i].PrevHash);
                }
                Assert.Equal("feature", tails[3].Branch);
                var whole = v.ReadHistory(Ns, "k", null, includeValues: true).ToList();
                Assert.Equal(all.Count, whole.Count);
                for (int i = 0; i < all.Count; i++) SameEntry(all[i], whole[i], withValue: true);
                var upTo = v.ReadHistory(Ns, "k", tails[1], includeValues: false).ToList();
                Assert.Equal(all.Take(2).Select(e => e.Hash), upTo.Select(e => e.Hash));
                Assert.All(upTo, e => Assert.Null(e.Value));
                Assert.Equal(all.Take(4).Select(e => e.Hash), v.ReadHistory(Ns, "k", tails[3], includeValues: true).Select(e => e.Hash));
                Assert.Equal(new[] { new KeyValuePair<string, string>(Ns, "k") }, v.Histories(null));
                Assert.Equal(new[] { new KeyValuePair<string, string>(Ns, "k") }, v.Histories(Ns));
                Assert.Empty(v.Histories("alpha"));
                Assert.Null(v.ReadMemory(Ns, "k")); // a history does not make a memory
            }
        }

        [Fact]
        public void OneSession_AppendsAfterATail_AndStartsAnotherHistory_Together()
        {
            var idA = NewId();
            var a = Chain(null, Ns, "a", idA, 2);
            Write(w => w.Append(null, a));
            var a3 = Chain(a[1], Ns, "a", idA, 1)[0];
            var b = Chain(null, "alpha", "b", NewId(), 1);
            Write(w =>
            {
                w.Append(w.ReadTail(Ns, "a"), new[] { a3 });
                w.Append(null, b);
                w.PutMemory(Memory(Ns, "a", "value 3", version: 3, id: idA));
            });
            using (var v = Storage.OpenRead())
            {
                SameTail(a3, v.ReadTail(Ns, "a"), Ns, "a");
                SameTail(b[0], v.ReadTail("alpha", "b"), "alpha", "b");
                Assert.Equal(a.Concat(new[] { a3 }).Select(e => e.Hash), v.ReadHistory(Ns, "a", null, true).Select(e => e.Hash));
                Assert.Null(v.ReadPrevious(v.ReadTail("alpha", "b")!));
                Assert.Equal(new[] { "alpha/b", Ns + "/a" }, v.Histories(null).Select(h => h.Key + "/" + h.Value).OrderBy(s => s, StringComparer.Ordinal));
                Assert.Equal(new[] { "alpha/b" }, v.Histories("alpha").Select(h => h.Key + "/" + h.Value));
            }
        }

        [Fact]
        public void DeleteMemory_LeavesItsHistory()
        {
            var id = NewId();
            var history = Chain(null, Ns, "k", id, 1);
            Write(w => { w.PutMemory(Memory(Ns, "k", "value 1", id: id)); w.Append(null, history); });
            var deleted = Entry(history[0], Ns, "k", id, ProvenanceActions.Deleted, 1, null);
            Write(w => { w.DeleteMemory(Ns, "k"); w.Append(w.ReadTail(Ns, "k"), new[] { deleted }); });
            using (var v = Storage.OpenRead())
            {
                Assert.Null(v.ReadMemory(Ns, "k"));
                SameTail(deleted, v.ReadTail(Ns, "k"), Ns, "k");
                Assert.Equal(2, v.ReadHistory(Ns, "k", null, true).Count());
            }
        }

        [Fact]
        public void ReplaceHistory_ReplacesTheWholeHistory_AndLeavesOthers()
        {
            var id = NewId();
            var old = Chain(null, Ns, "k", id, 3);
            var other = Chain(null, Ns, "other", NewId(), 2);
            Write(w => { w.Append(null, old); w.Append(null, other); });
            var first = Entry(null, Ns, "k", id, ProvenanceActions.Created, 1, "rewritten 1", details: new EngramMap(MapKind.Ordered) { { "rewritten", true } });
            var replacement = new List<ProvenanceEntry> { first, Entry(first, Ns, "k", id, ProvenanceActions.Revised, 2, "rewritten 2") };
            Write(w => w.ReplaceHistory(Ns, "k", replacement));
            using (var v = Storage.OpenRead())
            {
                var read = v.ReadHistory(Ns, "k", null, includeValues: true).ToList();
                Assert.Equal(2, read.Count);
                for (int i = 0; i < 2; i++) SameEntry(replacement[i], read[i], withValue: true);
                Assert.Equal(new[] { "rewritten 1", "rewritten 2" }, read.Select(e => (string)e.Value!));
                var tail = v.ReadTail(Ns, "k")!;
                SameTail(replacement[1], tail, Ns, "k");
                SameTail(replacement[0], v.ReadPrevious(tail), Ns, "k");
                Assert.Equal(other.Select(e => e.Hash), v.ReadHistory(Ns, "other", null, false).Select(e => e.Hash));
            }
            var next = Chain(replacement[1], Ns, "k", id, 1);
            Write(w => w.Append(w.ReadTail(Ns, "k"), next)); // the replaced history goes on from its new tail
            Assert.Equal(replacement.Concat(next).Select(e => e.Hash), Read(v => v.ReadHistory(Ns, "k", null, false).Select(e => e.Hash).ToList()));
        }

        [Fact]
        public void CutNewest_RemovesTheNewestEntry_SoTheSessionCanAppendAfterThePreviousOne()
        {
            var id = NewId();
            var history = Chain(null, Ns, "k", id, 3);
            Write(w => w.Append(null, history));
            var instead = Entry(history[1], Ns, "k", id, ProvenanceActions.Revised, 3, "written again");
            using (var w = Storage.BeginWrite())
            {
                var newest = w.ReadTail(Ns, "k")!;
                SameTail(history[2], newest, Ns, "k");
                var previous = w.ReadPrevious(newest)!;
                w.CutNewest(newest);
                w.Append(previous, new[] { instead });
                w.Commit();
            }
            using (var v = Storage.OpenRead())
            {
                Assert.Equal(new[] { history[0].Hash, history[1].Hash, instead.Hash }, v.ReadHistory(Ns, "k", null, false).Select(e => e.Hash));
                SameTail(instead, v.ReadTail(Ns, "k"), Ns, "k");
                SameTail(history[1], v.ReadPrevious(v.ReadTail(Ns, "k")!), Ns, "k");
            }
        }

        // ------------------------------------------------------------------ the derived-from index

        [Fact]
        public void AddDerived_IndexesTheDerivedEntryUnderEachSource()
        {
            var srcA = Chain(null, Ns, "a", NewId(), 2);
            var srcB = Chain(null, "alpha", "b", NewId(), 1);
            var details = new EngramMap(MapKind.Ordered) { { "sources", new object?[] { Ns + "/a@2", "alpha/b@1" } } };
            var derived = Entry(null, Ns, "summary", NewId(), ProvenanceActions.Created, 1, "both", details: details);
            var derived2 = Entry(derived, Ns, "summary", derived.MemoryId, ProvenanceActions.Revised, 2, "a again");
            Write(w =>
            {
                w.Append(null, srcA);
                w.Append(null, srcB);
                w.Append(null, new[] { derived });
                w.AddDerived(Ns, "a", 2, derived);
                w.AddDerived("alpha", "b", 1, derived);
            });
            Write(w =>
            {
                w.Append(w.ReadTail(Ns, "summary"), new[] { derived2 });
                w.AddDerived(Ns, "a", 2, derived2);
            });
            using (var v = Storage.OpenRead())
            {
                Assert.Equal(new[] { $"{Ns}/summary v1 from v2 seq 1", $"{Ns}/summary v2 from v2 seq 2" },
                    v.ReadDerived(Ns, "a").Select(Describe).OrderBy(s => s, StringComparer.Ordinal));
                Assert.Equal(new[] { $"{Ns}/summary v1 from v1 seq 1" }, v.ReadDerived("alpha", "b").Select(Describe));
                Assert.Empty(v.ReadDerived(Ns, "summary"));
                SameEntry(derived, v.ReadHistory(Ns, "summary", null, true).First(), withValue: true); // details round-trip under the hash
            }
        }

        // ------------------------------------------------------------------ sessions

        [Fact]
        public void AnUncommittedSession_ChangesNothing()
        {
            var id = NewId();
            var history = Chain(null, Ns, "k", id, 1);
            Write(w =>
            {
                w.PutMemory(Memory(Ns, "k", "value 1", id: id));
                w.Append(null, history);
                w.PutBranch(Branch(Ns, "feature"));
                w.PutBranchMemory(Ns, "feature", BranchSlot.Own, Memory(Ns, "k", "own", version: 2, id: id, branch: "feature"));
            });
            var before = Dump();
            var next = Chain(history[0], Ns, "k", id, 1);
            using (var w = Storage.BeginWrite())
            {
                w.PutMemory(Memory(Ns, "k", "value 2", version: 2, id: id));
                w.PutMemory(Memory("alpha", "new", "new"));
                w.Append(w.ReadTail(Ns, "k"), next);
                w.Append(null, Chain(null, "alpha", "new", NewId(), 1));
                w.ReplaceHistory(Ns, "imported", Chain(null, Ns, "imported", NewId(), 3));
                w.PutBranch(Branch(Ns, "spike"));
                w.PutBranchMemory(Ns, "spike", BranchSlot.Base, Memory(Ns, "k", "base"));
                w.DeleteBranchMemory(Ns, "feature", BranchSlot.Own, "k");
                w.DropBranch(Ns, "feature");
                w.AddDerived(Ns, "k", 1, next[0]);
                w.PutConfig(new StoreConfig { TrackAll = true });
                w.DeleteMemory(Ns, "k");
            }
            Assert.Equal(before, Dump());
            Write(w => w.Append(w.ReadTail(Ns, "k"), next)); // and the store takes the next session as if nothing happened
            Assert.Equal(2, Read(v => v.ReadHistory(Ns, "k", null, false).Count()));
        }

        [Fact]
        public void ASessionReads_TheStoreAsItWasWhenItBegan_OrWithItsOwnChangesWhereTheStorageSaysSo()
        {
            var id = NewId();
            var history = Chain(null, Ns, "k", id, 1);
            var v1 = Memory(Ns, "k", "value 1", id: id);
            Write(w => { w.PutMemory(v1); w.Append(null, history); });
            using (var w = Storage.BeginWrite())
            {
                w.PutMemory(Memory(Ns, "k", "value 2", version: 2, id: id));
                w.PutMemory(Memory(Ns, "new", "new"));
                w.Append(w.ReadTail(Ns, "k"), Chain(history[0], Ns, "k", id, 1));
                w.PutBranch(Branch(Ns, "feature"));
                if (SessionSeesOwnChanges)
                {
                    Assert.Equal("value 2", w.ReadMemory(Ns, "k")!.Value);
                    Assert.NotNull(w.ReadMemory(Ns, "new"));
                    Assert.Equal(2, w.ReadTail(Ns, "k")!.Seq);
                    Assert.NotNull(w.ReadBranch(Ns, "feature"));
                }
                else
                {
                    SameMemory(v1, w.ReadMemory(Ns, "k"));
                    Assert.Null(w.ReadMemory(Ns, "new"));
                    Assert.Equal(new[] { "k" }, w.ListMemories(Ns).Select(l => w.ReadListed(l).Key));
                    SameTail(history[0], w.ReadTail(Ns, "k"), Ns, "k");
                    Assert.Null(w.ReadBranch(Ns, "feature"));
                }
                w.Commit();
            }
            using (var v = Storage.OpenRead())
            {
                Assert.Equal("value 2", v.ReadMemory(Ns, "k")!.Value);
                Assert.Equal(new[] { "k", "new" }, v.ListMemories(Ns).Select(l => v.ReadListed(l).Key));
                Assert.Equal(2, v.ReadTail(Ns, "k")!.Seq);
                Assert.NotNull(v.ReadBranch(Ns, "feature"));
            }
        }

        [Fact]
        public async Task AView_DoesNotBlockOnAnOpenSession_NorSeeItsChanges_AndAnOlderViewSeesOneWholeState()
        {
            var id = NewId();
            var v1 = Memory(Ns, "k", "value 1", id: id);
            var v2 = Memory(Ns, "k", "value 2", version: 2, id: id);
            Write(w => w.PutMemory(v1));
            using (var older = Storage.OpenRead())
            {
                using (var w = Storage.BeginWrite())
                {
                    w.PutMemory(v2);
                    var read = Task.Run(() => Read(v => v.ReadMemory(Ns, "k")));
                    Assert.Same(read, await Task.WhenAny(read, Task.Delay(TimeSpan.FromMinutes(1)))); // a view never waits for a writer
                    SameMemory(v1, await read);
                    w.Commit();
                }
                var seen = older.ReadMemory(Ns, "k")!;
                Assert.Contains(Describe(seen), new[] { Describe(v1), Describe(v2) });
            }
            SameMemory(v2, Read(v => v.ReadMemory(Ns, "k")));
        }

        [Fact]
        public async Task WriteSessions_FromSeveralThreads_TakeTurns()
        {
            Initialise();
            const int Threads = 4, Rounds = 5;
            var id = NewId();
            int inside = 0, most = 0;
            using var start = new Barrier(Threads);
            var workers = Enumerable.Range(0, Threads).Select(_ => Task.Factory.StartNew(() =>
            {
                start.SignalAndWait(); // all threads ask for the lock at the same moment
                for (int r = 0; r < Rounds; r++)
                {
                    using (var w = Storage.BeginWrite())
                    {
                        var current = w.ReadMemory(Ns, "counter"); // the lock is held from here at the latest
                        int now = Interlocked.Increment(ref inside);
                        InterlockedMax(ref most, now);
                        int n = current == null ? 0 : int.Parse((string)current.Value!, CultureInfo.InvariantCulture);
                        Thread.Sleep(2); // a window for another session to slip in, were the lock not held
                        w.PutMemory(Memory(Ns, "counter", (n + 1).ToString(CultureInfo.InvariantCulture), version: n + 1, id: id));
                        Interlocked.Decrement(ref inside); // before Commit: a SQL storage releases its lock as it commits
                        w.Commit();
                    }
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
            var all = Task.WhenAll(workers);
            Assert.Same(all, await Task.WhenAny(all, Task.Delay(TimeSpan.FromMinutes(2))));
            await all;
            Assert.Equal(1, most);
            var counter = Read(v => v.ReadMemory(Ns, "counter"))!;
            Assert.Equal((Threads * Rounds).ToString(CultureInfo.InvariantCulture), counter.Value); // no session lost another's write
            Assert.Equal(Threads * Rounds, counter.Version);
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
        }
    }
}
