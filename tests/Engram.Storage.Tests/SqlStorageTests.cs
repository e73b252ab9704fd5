using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;
using Engram.Storage.Sql;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>
    /// The SQL storage (<see cref="SqlStorage"/>) on its own: every primitive of <see cref="IEngramStorage"/> against
    /// the rows it leaves, and interop with <see cref="SqlEngramStore"/> in both directions (the same rows, documents and
    /// hashes). Run on SQLite and on PostgreSQL.
    /// </summary>
    public abstract class SqlStorageTests : IDisposable
    {
        protected abstract BackendKind Kind { get; }

        private readonly List<BackendLocation> _locations = new List<BackendLocation>();
        private BackendLocation? _main;

        public void Dispose()
        {
            foreach (var l in _locations) l.Dispose();
        }

        private BackendLocation NewLocation()
        {
            var l = BackendLocation.Create(Kind);
            _locations.Add(l);
            return l;
        }

        private BackendLocation Main => _main ?? (_main = NewLocation());

        private static SqlStorage Storage(BackendLocation l, EngramStoreOptions? options = null) =>
            new SqlStorage(l.Kind == BackendKind.Sqlite ? new SqliteDialect(EngramBackends.SqlitePath(l.Location)) : (SqlDialect)new PostgresDialect(l.Location), options);

        private static readonly DateTime T0 = new DateTime(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc);

        private static MemoryRecord Memory(string ns, string key, object? value, int version, string id = "m-1", string branch = Names.DefaultBranch) =>
            new MemoryRecord(id, ns, key, value, new[] { "t" }, version, T0, T0.AddMinutes(version), branch);

        private static ProvenanceEntry Entry(string ns, string key, long seq, int version, string action, ProvenanceEntry? previous, object? value,
            string branch = Names.DefaultBranch, string id = "m-1")
        {
            var e = new ProvenanceEntry
            {
                Seq = seq, MemoryId = id, Namespace = ns, Key = key, Action = action, Actor = "tester", TimestampUtc = T0.AddMinutes(seq),
                Branch = branch, Version = version, ContentHash = ValueCodec.ContentHash(value), PrevHash = previous?.Hash, HasValue = true, Value = value,
            };
            e.Hash = e.ComputeHash();
            return e;
        }

        /// <summary>A chain of <paramref name="n"/> entries of shared/k: created v1, then revised v2…vn (values "v1"…).</summary>
        private static List<ProvenanceEntry> Chain(int n, string key = "k")
        {
            var list = new List<ProvenanceEntry>();
            for (int i = 1; i <= n; i++)
                list.Add(Entry("shared", key, i, i, i == 1 ? ProvenanceActions.Created : ProvenanceActions.Revised, list.LastOrDefault(), "v" + i));
            return list;
        }

        /// <summary>Every row of a table, all its columns rendered as text, in a stable order.</summary>
        private static List<string> Rows(SqlStorage s, string table, string columns)
        {
            using (var db = s.OpenDb()!)
                return db.Query($"SELECT {columns} FROM {table} ORDER BY {columns}",
                    r => string.Join("|", Enumerable.Range(0, r.FieldCount).Select(i => Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture))));
        }

        private const string MemoryColumns = "ns, key, id, version, content_hash, updated, doc, key_text, search_text";
        private const string EntryColumns = "ns, key, seq, memory_id, branch, action, version, hash, ts, doc";
        private const string DerivedColumns = "source_ns, source_key, ns, key, version, source_version, seq, branch";

        /// <summary>Everything the store holds, table by table (the full-text words too on SQLite).</summary>
        private List<string> Snapshot(SqlStorage s)
        {
            var all = new List<string>();
            all.AddRange(Rows(s, "memories", MemoryColumns).Select(r => "memories:" + r));
            all.AddRange(Rows(s, "_provenance", EntryColumns).Select(r => "_provenance:" + r));
            all.AddRange(Rows(s, "branches", "ns, name, doc").Select(r => "branches:" + r));
            all.AddRange(Rows(s, "branch_memories", "ns, branch, kind, key, doc").Select(r => "branch_memories:" + r));
            all.AddRange(Rows(s, "derived", DerivedColumns).Select(r => "derived:" + r));
            all.AddRange(Rows(s, "vectors", "ns, key, content_hash, model").Select(r => "vectors:" + r));
            all.AddRange(Rows(s, "engram_meta", "name, value").Select(r => "engram_meta:" + r));
            if (Kind == BackendKind.Sqlite) all.AddRange(Rows(s, "memory_search", "ns, key, key_text, body").Select(r => "memory_search:" + r));
            return all;
        }

        /// <summary>A store holding shared/k at v2 with its two entries (committed through the storage).</summary>
        private SqlStorage Seeded(out List<ProvenanceEntry> chain)
        {
            var s = Storage(Main);
            chain = Chain(2);
            using (var w = s.BeginWrite())
            {
                w.PutMemory(Memory("shared", "k", "v2", 2));
                w.Append(null, chain);
                w.Commit();
            }
            return s;
        }

        // ------------------------------------------------------------------ missing store, configuration

        [BackendFact]
        public void AStoreWithoutTables_ReadsEmpty_AndTheFirstWriteSessionCreatesTheDefaultConfiguration()
        {
            var s = Storage(Main);
            Assert.False(s.Exists);
            Assert.Null(s.ReadConfig());
            Assert.False(s.CanLeaveDanglingEntries);
            Assert.Equal(Kind == BackendKind.Sqlite ? "sqlite" : "postgres", s.Kind);
            using (var view = s.OpenRead())
            {
                Assert.Null(view.ReadMemory("shared", "k"));
                Assert.Empty(view.ListMemories("shared"));
                Assert.Empty(view.Namespaces());
                Assert.Null(view.ReadBranch("shared", "b"));
                Assert.Empty(view.ReadBranches(null));
                Assert.Null(view.ReadBranchMemory("shared", "b", BranchSlot.Own, "k"));
                Assert.Empty(view.ReadBranchMemories("shared", "b", BranchSlot.Base));
                Assert.Null(view.ReadTail("shared", "k"));
                Assert.Empty(view.ReadHistory("shared", "k", null, true));
                Assert.Empty(view.Histories(null));
                Assert.Empty(view.ReadDerived("shared", "k"));
            }

            using (var w = s.BeginWrite())
            {
                Assert.Equal(new StoreConfig().ToYaml(), w.Config.ToYaml());
                w.Commit();
            }
            Assert.True(s.Exists);
            Assert.Equal(new StoreConfig().ToYaml(), Storage(Main).ReadConfig()!.ToYaml());
            Assert.True(Main.Open().Exists);
        }

        [BackendFact]
        public void PutConfig_TakesEffectAtCommit_ForThisStorage_OthersAndSqlEngramStore()
        {
            var s = Storage(Main);
            using (var w = s.BeginWrite()) w.Commit();
            using (var w = s.BeginWrite())
            {
                var c = new StoreConfig { TrackAll = true };
                w.PutConfig(c);
                Assert.Same(c, w.Config);
                // not committed: disposed
            }
            Assert.False(s.ReadConfig()!.TrackAll);
            Assert.False(Storage(Main).ReadConfig()!.TrackAll);

            using (var w = s.BeginWrite())
            {
                w.PutConfig(new StoreConfig { TrackAll = true });
                w.Commit();
            }
            Assert.True(s.ReadConfig()!.TrackAll);
            Assert.True(Storage(Main).ReadConfig()!.TrackAll);
            Assert.True(Main.Open().Config.TrackAll);
            Assert.Equal(new StoreConfig { TrackAll = true }.ToYaml(), Rows(s, "engram_meta", "name, value").Single(r => r.StartsWith("config|", StringComparison.Ordinal)).Substring(7));
        }

        // ------------------------------------------------------------------ interop with SqlEngramStore

        [BackendFact]
        public void WrittenThroughTheStorage_ReadsInSqlEngramStore_WithTheSameDocumentsAndHashes()
        {
            var s = Storage(Main);
            var chain = Chain(2);
            var memory = Memory("shared", "k", "v2", 2);
            var source = Memory("shared", "src", "origin", 1, id: "m-src");
            using (var w = s.BeginWrite())
            {
                w.PutMemory(source);
                w.Append(null, new[] { Entry("shared", "src", 1, 1, ProvenanceActions.Created, null, "origin", id: "m-src") });
                w.PutMemory(memory);
                w.Append(null, chain.Take(1).ToList());
                w.Append(w.ReadTail("shared", "k"), chain.Skip(1).ToList());
                w.AddDerived("shared", "src", 1, chain[1]);
                w.Commit();
            }

            var store = Main.Open();
            var got = store.Get("shared", "k");
            Assert.Equal("v2", got.Value);
            Assert.Equal(2, got.Version);
            Assert.Equal("m-1", got.Id);
            Assert.Equal(memory.ContentHash, got.ContentHash);
            Assert.Equal(chain.Select(e => e.Hash), store.GetProvenance("shared", "k").Select(e => e.Hash));
            Assert.Equal(new object?[] { "v1", "v2" }, store.GetProvenance("shared", "k").Select(e => e.Value));
            var report = store.Verify();
            Assert.True(report.Healthy, string.Join("; ", report.Findings.Select(f => f.Message)));
            Assert.Equal(2, report.HistoriesChecked);

            Assert.Contains("shared|k|m-1|2|" + memory.ContentHash + "|" + MemoryFile.Time(memory.UpdatedUtc) + "|" + MemoryFile.Serialize(memory) + "|k|v2", Rows(s, "memories", MemoryColumns));
            Assert.Equal(new[] { "shared|src|shared|k|2|1|2|main" }, Rows(s, "derived", DerivedColumns));
            var docs = Rows(s, "_provenance", "doc").ToList();
            Assert.Contains(EntryDocument.Serialize(chain[0]), docs);
            Assert.Contains(EntryDocument.Serialize(chain[1]), docs);
        }

        [BackendFact]
        public void WrittenBySqlEngramStore_CopiedThroughTheStorage_GivesTheSameRows()
        {
            var store = Main.Open();
            store.Set(new SetRequest("shared", "k", "v1") { Actor = "tester" });
            store.Set(new SetRequest("shared", "k", new EngramMap(MapKind.Ordered) { { "port", 8080 }, { "host", "db1" } }) { Actor = "tester", Reason = "moved" });
            store.Set(new SetRequest("notes", "other", "x") { Actor = "tester" });
            store.Fork("shared", "b", null, "tester", "try");
            store.Set(new SetRequest("shared", "k", "on the branch") { Actor = "tester", Branch = "b" });
            store.Set(new SetRequest("shared", "k", "v3") { Actor = "tester" }); // keeps the merge base on b
            store.Remove("notes", "other", "tester");
            store.Set(new SetRequest("notes", "other", "y") { Actor = "tester" });

            var from = Storage(Main);
            var to = Storage(NewLocation());
            using (var view = from.OpenRead())
            using (var w = to.BeginWrite())
            {
                foreach (var ns in view.Namespaces())
                    foreach (var location in view.ListMemories(ns))
                        w.PutMemory(view.ReadListed(location));
                foreach (var h in view.Histories(null))
                    w.ReplaceHistory(h.Key, h.Value, view.ReadHistory(h.Key, h.Value, null, true).ToList());
                foreach (var b in view.ReadBranches(null))
                {
                    w.PutBranch(b.Key);
                    foreach (var slot in new[] { BranchSlot.Own, BranchSlot.Base })
                        foreach (var m in view.ReadBranchMemories(b.Key.Namespace, b.Key.Name, slot))
                            w.PutBranchMemory(b.Key.Namespace, b.Key.Name, slot, m);
                }
                w.Commit();
            }

            foreach (var (table, columns) in new[] { ("memories", MemoryColumns), ("_provenance", EntryColumns), ("branches", "ns, name, doc"), ("branch_memories", "ns, branch, kind, key, doc") })
            {
                var expected = Rows(from, table, columns);
                Assert.NotEmpty(expected);
                Assert.Equal(expected, Rows(to, table, columns));
            }
            if (Kind == BackendKind.Sqlite)
                Assert.Equal(Rows(from, "memory_search", "ns, key, key_text, body"), Rows(to, "memory_search", "ns, key, key_text, body"));
            // shared/k: created, revised, forked onto b, b's revision, v3
            Assert.Equal(5, Rows(from, "_provenance", "key").Count(k => k == "k"));
            using (var view = to.OpenRead())
            {
                var branch = Assert.Single(view.ReadBranches(null));
                Assert.Equal("b", branch.Key.Name);
                Assert.Equal(1, branch.Value); // one memory changed on b; its merge base is not counted
                Assert.Equal("on the branch", view.ReadBranchMemory("shared", "b", BranchSlot.Own, "k")!.Value);
                Assert.Equal(2, view.ReadBranchMemory("shared", "b", BranchSlot.Base, "k")!.Version);
            }
            var copy = new SqlEngramStore(to.Dialect);
            Assert.Equal("v3", copy.Get("shared", "k").Value);
            Assert.Equal("on the branch", copy.TryGet("shared", "k", "b")!.Value);
            Assert.True(copy.Verify().Healthy);
        }

        // ------------------------------------------------------------------ atomicity

        [BackendFact]
        public void DisposingWithoutCommit_RollsBackEveryChange()
        {
            var s = Seeded(out var chain);
            var before = Snapshot(s);
            using (var w = s.BeginWrite())
            {
                w.PutMemory(Memory("shared", "new", "n", 1, id: "m-new"));
                w.DeleteMemory("shared", "k");
                w.Append(w.ReadTail("shared", "k"), new[] { Entry("shared", "k", 3, 2, ProvenanceActions.Deleted, chain[1], null) });
                w.PutBranch(new BranchRecord("b", "shared", T0, "tester", null, null));
                w.PutBranchMemory("shared", "b", BranchSlot.Own, Memory("shared", "k", "b", 3, branch: "b"));
                w.AddDerived("shared", "k", 2, chain[1]);
                w.PutConfig(new StoreConfig { TrackAll = true });
                Assert.Null(w.ReadMemory("shared", "k")); // the session's reads run in its transaction
            }
            Assert.Equal(before, Snapshot(s));
            using (var view = Storage(Main).OpenRead())
            {
                Assert.Equal("v2", view.ReadMemory("shared", "k")!.Value);
                Assert.Equal(2, view.ReadTail("shared", "k")!.Seq);
            }
        }

        [BackendFact]
        public void ACrashBeforeCommit_OrAfterAStatement_LeavesNothing()
        {
            var s = Seeded(out _);
            var before = Snapshot(s);
            foreach (var (point, after) in new[] { ("before-commit", 0), ("exec", 2) })
            {
                int execs = 0;
                s.FaultHook = p =>
                {
                    if (p == "exec" && execs++ < after) return;
                    if (p == point) throw new SimulatedCrashException(point);
                };
                var w = s.BeginWrite();
                Assert.Throws<SimulatedCrashException>(() =>
                {
                    w.PutMemory(Memory("shared", "new", "n", 1, id: "m-new"));
                    w.Append(null, new[] { Entry("shared", "new", 1, 1, ProvenanceActions.Created, null, "n", id: "m-new") });
                    w.DeleteMemory("shared", "k");
                    w.Commit();
                });
                w.Dispose(); // the process is gone: its connection closes
                s.FaultHook = null;
                Assert.Equal(before, Snapshot(s));
            }
        }

        [BackendFact]
        public void AFailingStatement_RollsTheSessionBack_WithWriteFailed()
        {
            var s = Seeded(out var chain);
            var before = Snapshot(s);
            using (var w = s.BeginWrite())
            {
                w.PutMemory(Memory("shared", "new", "n", 1, id: "m-new"));
                w.Append(null, new[] { chain[0] }); // seq 1 is stored already: refused when the queued changes are sent
                var ex = Assert.Throws<EngramException>(() => w.Commit());
                Assert.Equal(EngramErrorIds.WriteFailed, ex.ErrorId);
                Assert.Contains("was rolled back", ex.Message);
                Assert.Throws<InvalidOperationException>(() => w.PutMemory(Memory("shared", "later", "l", 1)));
                Assert.Throws<InvalidOperationException>(() => w.Commit());
            }
            Assert.Equal(before, Snapshot(s));
            using (var w = s.BeginWrite())
            {
                w.Append(null, new[] { chain[0] });
                // a read sends what the session queued first, so the failure shows there
                Assert.Equal(EngramErrorIds.WriteFailed, Assert.Throws<EngramException>(() => w.ReadMemory("shared", "new")).ErrorId);
            }
            Assert.Equal(before, Snapshot(s));
        }

        [BackendFact]
        public void AWriterWaits_ThenGetsStoreLocked()
        {
            var s = Seeded(out _);
            using (var held = s.BeginWrite())
            {
                _ = held.Config; // the lock is held from the session's first read at the latest
                var other = Storage(Main, new EngramStoreOptions { LockTimeout = TimeSpan.FromSeconds(1) });
                var ex = Assert.Throws<EngramException>(() =>
                {
                    using (var second = other.BeginWrite()) _ = second.Config; // (PostgreSQL asks for the lock with the first read)
                });
                Assert.Equal(EngramErrorIds.StoreLocked, ex.ErrorId);
                // a reader never waits for the writer
                using (var view = other.OpenRead()) Assert.Equal("v2", view.ReadMemory("shared", "k")!.Value);
            }
            using (var w = Storage(Main, new EngramStoreOptions { LockTimeout = TimeSpan.FromSeconds(1) }).BeginWrite()) w.Commit();
        }

        // ------------------------------------------------------------------ histories

        [BackendFact]
        public void Tails_ChainBackwards_AndReadHistoryStopsAtUpTo()
        {
            var s = Storage(Main);
            var chain = Chain(4);
            using (var w = s.BeginWrite())
            {
                w.Append(null, chain);
                w.Commit();
            }
            foreach (var inWrite in new[] { false, true })
            {
                var view = inWrite ? s.BeginWrite() : s.OpenRead();
                using (view)
                {
                    var tail = view.ReadTail("shared", "k")!;
                    Assert.Equal((4L, 4, ProvenanceActions.Revised, chain[3].Hash, Names.DefaultBranch), (tail.Seq, tail.Version, tail.Action, tail.Hash, tail.Branch));
                    Assert.Equal("m-1", Assert.IsType<SqlStorage.SqlHistoryTail>(tail).MemoryId);
                    var seen = new List<HistoryTail>();
                    for (var t = tail; t != null; t = view.ReadPrevious(t)) seen.Add(t);
                    Assert.Equal(new long[] { 4, 3, 2, 1 }, seen.Select(t => t.Seq));
                    Assert.Equal(chain.Select(e => e.Hash).Reverse(), seen.Select(t => t.Hash));

                    Assert.Equal("v3", view.ReadEntry(seen[1], true).Value);
                    Assert.Null(view.ReadEntry(seen[1], false).Value);
                    Assert.Equal(new long[] { 1, 2, 3 }, view.ReadHistory("shared", "k", seen[1], true).Select(e => e.Seq));
                    Assert.Equal(new object?[] { "v1", "v2", "v3" }, view.ReadHistory("shared", "k", seen[1], true).Select(e => e.Value));
                    Assert.Equal(chain.Select(e => e.Hash), view.ReadHistory("shared", "k", null, false).Select(e => e.Hash));
                    Assert.All(view.ReadHistory("shared", "k", null, false), e => Assert.Null(e.Value));
                    // streaming: other reads of the view while a history is enumerated
                    foreach (var e in view.ReadHistory("shared", "k", null, true)) Assert.NotNull(view.ReadTail("shared", "k"));
                    Assert.Equal(new[] { new KeyValuePair<string, string>("shared", "k") }, view.Histories("shared"));
                    Assert.Empty(view.Histories("notes"));
                }
            }
        }

        [BackendFact]
        public void ReplaceHistory_ReplacesEveryRow_AndCutNewest_RemovesTheTailAndItsLinks()
        {
            var s = Storage(Main);
            var chain = Chain(4);
            var other = Chain(1, "other");
            using (var w = s.BeginWrite())
            {
                w.Append(null, chain);
                w.Append(null, other);
                w.AddDerived("shared", "other", 1, chain[2]);
                w.AddDerived("shared", "other", 1, chain[3]);
                w.Commit();
            }
            var squashed = Entry("shared", "k", 1, 3, ProvenanceActions.Squashed, null, "v3");
            var last = Entry("shared", "k", 2, 4, ProvenanceActions.Revised, squashed, "v4");
            using (var w = s.BeginWrite())
            {
                w.ReplaceHistory("shared", "k", new[] { squashed, last });
                w.Commit();
            }
            Assert.Equal(new[] { squashed, last }.Select(e => "shared|k|" + e.Seq + "|" + e.Hash).Concat(new[] { "shared|other|1|" + other[0].Hash }),
                Rows(s, "_provenance", "ns, key, seq, hash"));
            using (var view = s.OpenRead())
                Assert.Equal(new[] { squashed.Hash, last.Hash }, view.ReadHistory("shared", "k", null, true).Select(e => e.Hash));
            Assert.Equal(2, Rows(s, "derived", DerivedColumns).Count); // the index is left as it is

            using (var w = s.BeginWrite())
            {
                w.ReplaceHistory("shared", "k", chain);
                w.CutNewest(w.ReadTail("shared", "k")!);
                w.Commit();
            }
            using (var view = s.OpenRead())
            {
                Assert.Equal(3, view.ReadTail("shared", "k")!.Seq);
                var link = Assert.Single(view.ReadDerived("shared", "other"));
                Assert.Equal(("shared", "k", 3, 1, 3L), (link.Namespace, link.Key, link.Version, link.SourceVersion, link.Seq));
                Assert.Equal(1, view.ReadTail("shared", "other")!.Seq);
            }
        }

        // ------------------------------------------------------------------ memories, branches

        [BackendFact]
        public void Memories_ListCountReadAndDelete_WithTheirVectorsAndWords()
        {
            var s = Storage(Main);
            int hashed = 0;
            var pending = Memory("shared", "b-key", "beta", 1, id: "m-b");
            using (var w = s.BeginWrite())
            {
                w.PutMemory(Memory("shared", "a-key", "alpha words", 1, id: "m-a"));
                w.PutMemory(pending, () => { hashed++; return "feed"; });
                w.PutMemory(Memory("notes", "n", "note", 1, id: "m-n"));
                w.Commit();
            }
            Assert.Equal(1, hashed);
            Assert.Equal("feed", pending.ContentHash);
            Assert.Contains(Rows(s, "memories", "key, content_hash"), r => r == "b-key|feed");
            Main.Open().PutVectors("shared", new[] { new StoredVector("a-key", "h", "model", new[] { 1f, 2f }) });

            using (var view = s.OpenRead())
            {
                Assert.Equal(new[] { "notes", "shared" }, view.Namespaces());
                Assert.Equal(1, view.CountMemories("notes"));
                Assert.Equal(2, view.CountMemories("shared"));
                Assert.Equal(0, view.CountMemories("none"));
                var listed = view.ListMemories("shared").ToList();
                Assert.Equal(new[] { "a-key", "b-key" }, listed.Select(l => l.Key));
                Assert.Equal("alpha words", view.ReadListed(listed[0]).Value);
                Assert.Equal("m-a", view.ReadMemory("shared", "a-key", forWrite: true)!.Id);
            }
            if (Kind == BackendKind.Sqlite) Assert.Contains("shared|a-key|a key|alpha words", Rows(s, "memory_search", "ns, key, key_text, body"));

            using (var w = s.BeginWrite())
            {
                w.DeleteMemory("shared", "a-key");
                w.Commit();
            }
            Assert.Empty(Rows(s, "vectors", "key"));
            Assert.DoesNotContain(Rows(s, "memories", "key"), k => k == "a-key");
            if (Kind == BackendKind.Sqlite) Assert.DoesNotContain(Rows(s, "memory_search", "key"), k => k == "a-key");
            using (var view = s.OpenRead())
            {
                var ex = Assert.Throws<EngramException>(() => view.ReadListed(new MemoryLocation("shared", "a-key", "x")));
                Assert.Equal(EngramErrorIds.MemoryNotFound, ex.ErrorId);
                Assert.Null(view.ReadMemory("shared", "a-key"));
            }
        }

        [BackendFact]
        public void Branches_RecordsAndSlots_CountChangedMemories_AndDropTakesEverything()
        {
            var s = Storage(Main);
            using (var w = s.BeginWrite())
            {
                w.PutBranch(new BranchRecord("b", "shared", T0, "tester", "first", null));
                w.PutBranch(new BranchRecord("b", "shared", T0, "tester", "second", new[] { "k1", "k2" }));
                w.PutBranch(new BranchRecord("a", "shared", T0, "tester", null, null));
                w.PutBranch(new BranchRecord("x", "notes", T0, "tester", null, null));
                w.PutBranchMemory("shared", "b", BranchSlot.Own, Memory("shared", "k2", "two", 2, branch: "b"));
                w.PutBranchMemory("shared", "b", BranchSlot.Own, MemoryRecord.Tombstone("m-1", "shared", "k1", 1, "b"));
                w.PutBranchMemory("shared", "b", BranchSlot.Base, Memory("shared", "k1", "one", 1, branch: "b"));
                w.PutBranchMemory("shared", "b", BranchSlot.Base, Memory("shared", "k1", "one again", 1, branch: "b"));
                w.PutBranchMemory("notes", "x", BranchSlot.Own, Memory("notes", "n", "x", 1, branch: "x"));
                w.Commit();
            }
            Assert.Equal(new[] { "shared|a", "shared|b" , "notes|x" }.OrderBy(x => x, StringComparer.Ordinal), Rows(s, "branches", "ns, name"));
            using (var view = s.OpenRead())
            {
                var b = view.ReadBranch("shared", "b")!;
                Assert.Equal("second", b.Reason);
                Assert.Equal(new[] { "k1", "k2" }, b.Keys);
                Assert.Equal(new[] { "notes@x:1", "shared@a:0", "shared@b:2" }, view.ReadBranches(null).Select(x => x.Key.Namespace + "@" + x.Key.Name + ":" + x.Value));
                Assert.Equal(new[] { "shared@a:0", "shared@b:2" }, view.ReadBranches("shared").Select(x => x.Key.Namespace + "@" + x.Key.Name + ":" + x.Value));
                Assert.Equal(new[] { "k1", "k2" }, view.ReadBranchMemories("shared", "b", BranchSlot.Own).Select(m => m.Key));
                Assert.True(view.ReadBranchMemory("shared", "b", BranchSlot.Own, "k1")!.Deleted);
                var baseK1 = view.ReadBranchMemory("shared", "b", BranchSlot.Base, "k1")!;
                Assert.Equal(("one again", "b", false), (baseK1.Value, baseK1.Branch, baseK1.Deleted));
                Assert.Null(view.ReadBranchMemory("shared", "b", BranchSlot.Base, "k2"));
            }
            using (var w = s.BeginWrite())
            {
                w.DeleteBranchMemory("shared", "b", BranchSlot.Base, "k1");
                w.Commit();
            }
            Assert.Equal(new[] { "b|mem|k1", "b|mem|k2", "x|mem|n" }, Rows(s, "branch_memories", "branch, kind, key"));
            using (var w = s.BeginWrite())
            {
                w.DropBranch("shared", "b");
                w.Commit();
            }
            Assert.Equal(new[] { "x|mem|n" }, Rows(s, "branch_memories", "branch, kind, key"));
            Assert.Equal(new[] { "notes|x", "shared|a" }, Rows(s, "branches", "ns, name"));
            // what SqlEngramStore reads of them
            Assert.Equal(new[] { ("notes", "x", 1), ("shared", "a", 0) }, Main.Open().GetBranches().Select(i => (i.Record.Namespace, i.Record.Name, i.ChangedCount)));
        }
    }

    public sealed class SqliteSqlStorageTests : SqlStorageTests
    {
        protected override BackendKind Kind => BackendKind.Sqlite;

        [Fact]
        public void AnUnreachableServer_IsStoreUnavailable()
        {
            var s = new SqlStorage(new PostgresDialect("Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=2"));
            var ex = Assert.Throws<EngramException>(() => s.OpenRead());
            Assert.Equal(EngramErrorIds.StoreUnavailable, ex.ErrorId);
            Assert.Equal(EngramErrorIds.StoreUnavailable, Assert.Throws<EngramException>(() => s.BeginWrite()).ErrorId);
        }
    }

    [RequiresPostgres]
    public sealed class PostgresSqlStorageTests : SqlStorageTests
    {
        protected override BackendKind Kind => BackendKind.Postgres;
    }
}
