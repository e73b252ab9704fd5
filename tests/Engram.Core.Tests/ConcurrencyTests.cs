using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Engram.Core;
using Engram.Core.Provenance;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    [CollectionDefinition("Stress", DisableParallelization = true)]
    public class StressCollection { }

    [Collection("Stress")]
    public class ConcurrencyTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();

        public void Dispose() => _t.Dispose();

        [Fact]
        public void EightThreads_SameTrackedKey_HistoryIsGapFreeAndComplete()
        {
            const int Threads = 8, PerThread = 50, Total = Threads * PerThread;
            _t.Store.Initialize();
            var errors = new ConcurrentQueue<Exception>();
            var readerErrors = new ConcurrentQueue<string>();
            using var start = new ManualResetEventSlim(false);
            int writersLeft = Threads;

            var writers = Enumerable.Range(0, Threads).Select(w => new Thread(() =>
            {
                // Half share one store object, half have their own (like separate sessions in one process).
                var store = w % 2 == 0 ? _t.Store : _t.Reopen();
                start.Wait();
                try
                {
                    for (int i = 0; i < PerThread; i++)
                    {
                        var r = store.Set(new SetRequest("shared", "hot", $"t{w}-{i}") { Actor = "thread-" + w });
                        if (!r.Changed) throw new InvalidOperationException("write reported no change");
                    }
                }
                catch (Exception ex) { errors.Enqueue(ex); }
                finally { Interlocked.Decrement(ref writersLeft); }
            })).ToList();

            // A lock-free reader running alongside: it must never see a torn or inconsistent state.
            var reader = new Thread(() =>
            {
                var store = _t.Reopen();
                start.Wait();
                int reads = 0;
                while (Volatile.Read(ref writersLeft) > 0 || reads == 0)
                {
                    try
                    {
                        var m = store.TryGet("shared", "hot");
                        if (m == null) { Thread.Yield(); continue; }
                        var last = store.GetProvenance("shared", "hot", last: 2).ToList();
                        if (last.Count == 0) readerErrors.Enqueue("empty history");
                        else
                        {
                            if (last[last.Count - 1].Version < m.Version) readerErrors.Enqueue($"history at v{last[^1].Version} behind memory v{m.Version}");
                            if (last.Count == 2 && last[1].PrevHash != last[0].Hash) readerErrors.Enqueue("broken link in last 2");
                            if (!last.All(e => e.VerifyHash())) readerErrors.Enqueue("hash does not verify");
                        }
                        if (reads % 20 == 0)
                        {
                            var all = store.GetProvenance("shared", "hot", includeValues: false).ToList();
                            for (int i = 0; i < all.Count; i++)
                                if (all[i].Seq != i + 1 || all[i].Version != i + 1) { readerErrors.Enqueue($"gap at {i}"); break; }
                        }
                        reads++;
                    }
                    catch (Exception ex) { readerErrors.Enqueue(ex.GetType().Name + ": " + ex.Message); }
                }
            });

            writers.ForEach(t => t.Start());
            reader.Start();
            start.Set();
            writers.ForEach(t => Assert.True(t.Join(TimeSpan.FromSeconds(60)), "a writer hung"));
            Assert.True(reader.Join(TimeSpan.FromSeconds(60)), "the reader hung");

            Assert.Empty(errors);
            Assert.Empty(readerErrors);
            var m = _t.Store.Get("shared", "hot");
            Assert.Equal(Total, m.Version);
            var hist = _t.Store.GetProvenance("shared", "hot").ToList();
            Assert.Equal(Enumerable.Range(1, Total).Select(i => (long)i), hist.Select(e => e.Seq));
            Assert.Equal(Enumerable.Range(1, Total), hist.Select(e => e.Version));
            Assert.Equal("created", hist[0].Action);
            Assert.All(hist.Skip(1), e => Assert.Equal("revised", e.Action));
            Assert.All(hist, e => Assert.Equal(m.Id, e.MemoryId));
            var values = hist.Select(e => (string)e.Value!).ToList();
            var expected = Enumerable.Range(0, Threads).SelectMany(w => Enumerable.Range(0, PerThread).Select(i => $"t{w}-{i}")).ToList();
            Assert.Equal(expected.OrderBy(v => v, StringComparer.Ordinal), values.OrderBy(v => v, StringComparer.Ordinal));
            Assert.Equal(values.Last(), m.Value);
            // Each thread's own writes appear in the order it made them.
            for (int w = 0; w < Threads; w++)
                Assert.Equal(Enumerable.Range(0, PerThread).Select(i => $"t{w}-{i}"), values.Where(v => v.StartsWith($"t{w}-", StringComparison.Ordinal)));
            AssertChain(hist);
            Assert.Empty(Directory.GetFiles(_t.P("_tmp")));
        }

        [Fact]
        public void ManyThreads_DifferentKeys_AllWritesLand()
        {
            const int Threads = 6, PerThread = 30;
            var errors = new ConcurrentQueue<Exception>();
            var threads = Enumerable.Range(0, Threads).Select(w => new Thread(() =>
            {
                try
                {
                    var store = _t.Reopen();
                    for (int i = 0; i < PerThread; i++)
                    {
                        store.Set(new SetRequest(w % 2 == 0 ? "shared" : "session", "key-" + w, i) { Actor = "t" });
                        if (i % 10 == 9) store.Remove(w % 2 == 0 ? "shared" : "session", "key-" + w, "t");
                    }
                }
                catch (Exception ex) { errors.Enqueue(ex); }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => Assert.True(t.Join(TimeSpan.FromSeconds(60))));
            Assert.Empty(errors);
            for (int w = 0; w < Threads; w++)
            {
                Assert.Null(_t.Store.TryGet(w % 2 == 0 ? "shared" : "session", "key-" + w)); // the last action was a remove
                if (w % 2 == 0)
                {
                    var hist = _t.Store.GetProvenance("shared", "key-" + w).ToList();
                    Assert.Equal(PerThread + PerThread / 10, hist.Count);
                    AssertChain(hist);
                    Assert.Equal(PerThread / 10, hist.Count(e => e.Action == ProvenanceActions.Deleted));
                }
            }
        }

        [Fact]
        public void LockTimeout_IsStoreLocked()
        {
            _t.Store.Initialize();
            var quick = new EngramStore(_t.Root, new EngramStoreOptions { LockTimeout = TimeSpan.FromMilliseconds(200) });
            using (var held = new FileStream(_t.P("_lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
            {
                var sw = Stopwatch.StartNew();
                var ex = Throws(EngramErrorIds.StoreLocked, () => quick.Set(new SetRequest("shared", "k", 1) { Actor = "t" }));
                Assert.Equal(EngramErrorKind.ResourceBusy, ex.Kind);
                Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(150), $"gave up after {sw.ElapsedMilliseconds} ms");
                // Reads do not need the lock.
                Assert.Null(quick.TryGet("shared", "k"));
            }
            quick.Set(new SetRequest("shared", "k", 1) { Actor = "t" });
            Assert.Equal(1, quick.Get("shared", "k").Value);
        }
    }
}
