using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;
using Xunit;

namespace Engram.Core.Tests.Engine
{
    /// <summary>
    /// What every <see cref="IEngramStorage"/> must do, through the interface only: a backend is a storage plus a subclass
    /// of this class whose <see cref="CreateStorage"/> returns a fresh, empty store (a subclass that needs clean-up
    /// overrides <see cref="Dispose(bool)"/>).
    /// <para>What the contract promises about a view opened before a commit: each of its reads returns either the state
    /// before that commit or the state after it, whole (never a torn record, never an error); a view opened after
    /// <see cref="IStorageWrite.Commit"/> returns sees the whole commit. It does not promise which of the two an older
    /// view sees (the file storage reads the disk as it is, the in-memory storage keeps the snapshot it opened on).</para>
    /// <para>Not asserted, because the interface does not say: the branch a returned branch record carries, the order of
    /// <see cref="IStorageView.Histories"/> and <see cref="IStorageView.ReadDerived"/>, what an uncommitted
    /// <see cref="IStorageWrite.CutNewest"/> or the default configuration created by an uncommitted first session leaves,
    /// whether a session's reads after <see cref="IStorageWrite.CutNewest"/> see the cut, timestamps finer than a second.</para>
    /// </summary>
    public abstract partial class StorageContract : IDisposable
    {
        protected const string Ns = "notes";
        protected const string Main = Names.DefaultBranch;
        protected static readonly DateTime T0 = new DateTime(2026, 12, 4, 3, 0, 0, DateTimeKind.Utc);

        private IEngramStorage? _storage;

        /// <summary>A fresh, empty store.</summary>
        protected abstract IEngramStorage CreateStorage();

        /// <summary>Whether a write session's reads show its own staged changes (SQL: they run inside its transaction) or
        /// the store as the session found it (files, memory). The engine relies on neither.</summary>
        protected virtual bool SessionSeesOwnChanges => false;

        /// <summary>This test's store (created on first use).</summary>
        protected IEngramStorage Storage => _storage ??= CreateStorage();

        public void Dispose()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
        }

        protected virtual void Dispose(bool disposing) { }

        // ------------------------------------------------------------------ building blocks

        protected static string NewId() => Guid.NewGuid().ToString("N");

        protected static EngramMap Map(string text, int n) =>
            new EngramMap(MapKind.Object) { { "text", text }, { "n", n }, { "list", new object?[] { "a", 2, null } } };

        protected static MemoryRecord Memory(string ns, string key, object? value, int version = 1, string? id = null,
            string[]? tags = null, string branch = Main) =>
            new MemoryRecord(id ?? NewId(), ns, key, value, tags ?? Array.Empty<string>(), version, T0, T0.AddSeconds(version), branch);

        /// <summary>A real entry chained after <paramref name="previous"/> (seq 1 and no prevHash when null), hash computed.</summary>
        protected static ProvenanceEntry Entry(ProvenanceEntry? previous, string ns, string key, string id, string action, int version,
            object? value, string branch = Main, EngramMap? details = null)
        {
            bool deleted = action == ProvenanceActions.Deleted;
            var e = new ProvenanceEntry
            {
                Seq = (previous?.Seq ?? 0) + 1,
                MemoryId = id,
                Namespace = ns,
                Key = key,
                Action = action,
                Actor = "tester",
                TimestampUtc = T0.AddSeconds((previous?.Seq ?? 0) + 1),
                Branch = branch,
                Version = version,
                Reason = "step " + version.ToString(CultureInfo.InvariantCulture),
                ContentHash = deleted ? null : ValueCodec.ContentHash(value),
                PrevHash = previous?.Hash,
                Details = details,
                HasValue = !deleted,
                Value = deleted ? null : value,
            };
            e.Hash = e.ComputeHash();
            return e;
        }

        /// <summary>A chain of <paramref name="count"/> main-line entries (created, then revised) after <paramref name="previous"/>.</summary>
        protected static List<ProvenanceEntry> Chain(ProvenanceEntry? previous, string ns, string key, string id, int count)
        {
            var list = new List<ProvenanceEntry>();
            for (int i = 0; i < count; i++)
            {
                int version = previous == null ? 1 : previous.Version + 1;
                previous = Entry(previous, ns, key, id, version == 1 ? ProvenanceActions.Created : ProvenanceActions.Revised, version, "value " + version.ToString(CultureInfo.InvariantCulture));
                list.Add(previous);
            }
            return list;
        }

        protected static BranchRecord Branch(string ns, string name, string[]? keys = null) =>
            new BranchRecord(name, ns, T0, "tester", "why " + name, keys);

        /// <summary>One committed write session.</summary>
        protected void Write(Action<IStorageWrite> changes)
        {
            using (var w = Storage.BeginWrite())
            {
                changes(w);
                w.Commit();
            }
        }

        protected T Read<T>(Func<IStorageView, T> read)
        {
            using (var v = Storage.OpenRead()) return read(v);
        }

        protected static void SameMemory(MemoryRecord expected, MemoryRecord? actual)
        {
            Assert.NotNull(actual);
            Assert.Equal(Describe(expected), Describe(actual!));
        }

        protected static string Describe(MemoryRecord m) =>
            $"{m.Namespace}/{m.Key} id={m.Id} v{m.Version} deleted={m.Deleted} hash={(m.Deleted ? "-" : ValueCodec.ContentHash(m.Value))} " +
            $"tags=[{string.Join(",", m.Tags)}] created={Time(m.CreatedUtc)} updated={Time(m.UpdatedUtc)}";

        private static string Time(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

        /// <summary>The entry as read equals the one written: every hashed field, a verifying hash, and the value when asked for.</summary>
        protected static void SameEntry(ProvenanceEntry expected, ProvenanceEntry actual, bool withValue)
        {
            Assert.Equal(expected.Hash, actual.Hash);
            Assert.True(actual.VerifyHash(), $"entry {actual.Seq} of {actual.Namespace}/{actual.Key} does not verify");
            Assert.Equal((expected.Seq, expected.MemoryId, expected.Namespace, expected.Key, expected.Action, expected.Version, expected.Branch, expected.PrevHash, expected.ContentHash),
                (actual.Seq, actual.MemoryId, actual.Namespace, actual.Key, actual.Action, actual.Version, actual.Branch, actual.PrevHash, actual.ContentHash));
            if (withValue && expected.HasValue)
            {
                Assert.True(actual.HasValue);
                Assert.Equal(expected.ContentHash, ValueCodec.ContentHash(actual.Value));
            }
            if (!withValue) Assert.Null(actual.Value);
        }

        protected static void SameTail(ProvenanceEntry expected, HistoryTail? tail, string ns, string key)
        {
            Assert.NotNull(tail);
            Assert.Equal((ns, key, expected.Seq, expected.Version, expected.Action, expected.Hash, expected.Branch),
                (tail!.Namespace, tail.Key, tail.Seq, tail.Version, tail.Action, tail.Hash, tail.Branch));
        }

        /// <summary>Everything the interface shows of the store (the derived index for the listed and the historied memories).</summary>
        protected string Dump()
        {
            var sb = new StringBuilder();
            sb.Append("exists=").Append(Storage.Exists).Append('\n').Append(Storage.ReadConfig()?.ToYaml() ?? "<no config>\n");
            using (var v = Storage.OpenRead())
            {
                var keys = new SortedSet<(string, string)>();
                foreach (var ns in v.Namespaces())
                {
                    sb.Append("ns ").Append(ns).Append(' ').Append(v.CountMemories(ns)).Append('\n');
                    foreach (var loc in v.ListMemories(ns))
                    {
                        var m = v.ReadListed(loc);
                        keys.Add((m.Namespace, m.Key));
                        sb.Append("  ").Append(Describe(m)).Append('\n');
                    }
                }
                foreach (var b in v.ReadBranches(null))
                {
                    sb.Append("branch ").Append(b.Key.Namespace).Append('/').Append(b.Key.Name).Append(" changed=").Append(b.Value).Append('\n');
                    foreach (var slot in new[] { BranchSlot.Own, BranchSlot.Base })
                        foreach (var m in v.ReadBranchMemories(b.Key.Namespace, b.Key.Name, slot).OrderBy(m => m.Key, StringComparer.Ordinal))
                            sb.Append("  ").Append(slot).Append(' ').Append(Describe(m)).Append('\n');
                }
                foreach (var h in v.Histories(null).OrderBy(h => h.Key, StringComparer.Ordinal).ThenBy(h => h.Value, StringComparer.Ordinal))
                {
                    keys.Add((h.Key, h.Value));
                    sb.Append("history ").Append(h.Key).Append('/').Append(h.Value).Append(':');
                    foreach (var e in v.ReadHistory(h.Key, h.Value, null, includeValues: true)) sb.Append(' ').Append(e.Seq).Append('=').Append(e.Hash);
                    sb.Append('\n');
                }
                foreach (var (ns, key) in keys)
                    foreach (var d in v.ReadDerived(ns, key).Select(Describe).OrderBy(d => d, StringComparer.Ordinal))
                        sb.Append("derived from ").Append(ns).Append('/').Append(key).Append(": ").Append(d).Append('\n');
            }
            return sb.ToString();
        }

        protected static string Describe(DerivedLink d) =>
            $"{d.Namespace}/{d.Key} v{d.Version} from v{d.SourceVersion} seq {d.Seq}";

        /// <summary>A store with one committed session behind it (so that it exists).</summary>
        protected void Initialise() => Write(_ => { });

        // ------------------------------------------------------------------ the store and its configuration

        [Fact]
        public void AFreshStore_DoesNotExist_UntilAWriteSessionCreatesItsDefaultConfiguration()
        {
            Assert.False(string.IsNullOrEmpty(Storage.Kind));
            Assert.False(string.IsNullOrEmpty(Storage.Location));
            Assert.False(Storage.Exists);
            Assert.Null(Storage.ReadConfig());
            using (var v = Storage.OpenRead())
            {
                Assert.Null(v.ReadMemory(Ns, "k"));
                Assert.Empty(v.ListMemories(Ns));
                Assert.Empty(v.Namespaces());
                Assert.Empty(v.ReadBranches(null));
                Assert.Null(v.ReadTail(Ns, "k"));
                Assert.Empty(v.ReadHistory(Ns, "k", null, includeValues: true));
                Assert.Empty(v.Histories(null));
                Assert.Empty(v.ReadDerived(Ns, "k"));
            }
            using (var w = Storage.BeginWrite())
            {
                Assert.Equal(new StoreConfig().ToYaml(), w.Config.ToYaml());
                w.Commit();
            }
            Assert.True(Storage.Exists);
            Assert.Equal(new StoreConfig().ToYaml(), Storage.ReadConfig()!.ToYaml());
        }

        [Fact]
        public void PutConfig_IsWhatReadConfigAndTheNextSessionFind()
        {
            Initialise();
            var config = new StoreConfig { TrackAll = true, Durability = Durability.Full, MaxValueBytes = 4096 };
            config.SetRetention("scratch", new RetentionPolicy(TimeSpan.FromDays(30), 10));
            Write(w => w.PutConfig(config));
            var read = Storage.ReadConfig()!;
            Assert.Equal(config.ToYaml(), read.ToYaml());
            Assert.True(read.TrackAll);
            Assert.Equal(4096, read.MaxValueBytes);
            using (var w = Storage.BeginWrite()) Assert.Equal(config.ToYaml(), w.Config.ToYaml());
        }

        // ------------------------------------------------------------------ main-line memories

        [Fact]
        public void PutMemory_ReadsBack_WithEveryField_AndOverwritesAndDeletes()
        {
            var id = NewId();
            var v1 = Memory(Ns, "k", Map("first", 1), version: 1, id: id, tags: new[] { "t1", "t2" });
            Write(w => w.PutMemory(v1));
            SameMemory(v1, Read(v => v.ReadMemory(Ns, "k")));
            SameMemory(v1, Read(v => v.ReadMemory(Ns, "k", forWrite: true)));
            var v2 = Memory(Ns, "k", "second", version: 2, id: id);
            Write(w => w.PutMemory(v2));
            var read = Read(v => v.ReadMemory(Ns, "k"))!;
            SameMemory(v2, read);
            Assert.Equal("second", read.Value);
            Assert.Empty(read.Tags);
            Write(w => w.DeleteMemory(Ns, "k"));
            Assert.Null(Read(v => v.ReadMemory(Ns, "k")));
            Assert.Empty(Read(v => v.Namespaces()));
        }

        [Fact]
        public void PutMemory_WithAPendingHash_CallsItBeforeReturning()
        {
            var value = Map("hashed later", 7);
            var memory = Memory(Ns, "k", value);
            int calls = 0;
            using (var w = Storage.BeginWrite())
            {
                w.PutMemory(memory, () => { calls++; return ValueCodec.ContentHash(value); });
                Assert.Equal(1, calls);
                Assert.Equal(ValueCodec.ContentHash(value), memory.ContentHash);
                w.Commit();
            }
            Assert.Equal(ValueCodec.ContentHash(value), Read(v => v.ReadMemory(Ns, "k"))!.ContentHash);
        }

        [Fact]
        public void ListMemories_IsSortedByKey_AndReadListedReadsEach_OrSaysMemoryNotFound()
        {
            // In code-point order (Names.KeyOrder): "a\uE000" (private use) before "a😀" (U+1F600), the reverse of ordinal UTF-16.
            var keys = new[] { "c", "a", "b2", "b", "a1", "a\U0001F600", "a\uE000", "A" };
            var written = keys.ToDictionary(k => k, k => Memory(Ns, k, "value of " + k));
            Write(w =>
            {
                foreach (var m in written.Values) w.PutMemory(m);
                w.PutMemory(Memory("other", "z", "elsewhere"));
            });
            List<(MemoryLocation Location, string Key)> listed;
            using (var v = Storage.OpenRead())
            {
                listed = v.ListMemories(Ns).Select(l => (l, v.ReadListed(l).Key)).ToList();
                Assert.Equal(new[] { "A", "a", "a1", "a\uE000", "a\U0001F600", "b", "b2", "c" }, listed.Select(l => l.Key));
                Assert.All(listed, l => Assert.Equal(Ns, l.Location.Namespace));
                foreach (var l in listed) SameMemory(written[l.Key], v.ReadListed(l.Location));
            }
            Write(w => w.DeleteMemory(Ns, "b"));
            using (var v = Storage.OpenRead())
            {
                // A location listed earlier, read after its memory was deleted.
                Assert.Equal(EngramErrorIds.MemoryNotFound, Assert.Throws<EngramException>(() => v.ReadListed(listed.Single(l => l.Key == "b").Location)).ErrorId);
                Assert.Equal(new[] { "A", "a", "a1", "a\uE000", "a\U0001F600", "b2", "c" }, v.ListMemories(Ns).Select(l => v.ReadListed(l).Key));
                SameMemory(written["c"], v.ReadListed(listed.Single(l => l.Key == "c").Location));
            }
        }

        [Fact]
        public void Namespaces_AreSorted_WithTheirMainLineCounts()
        {
            Write(w =>
            {
                foreach (var k in new[] { "x", "y", "z" }) w.PutMemory(Memory("zeta", k, k));
                w.PutMemory(Memory("alpha", "only", 1));
                w.PutMemory(Memory(Ns, "a", "a"));
                w.PutMemory(Memory(Ns, "b", "b"));
                w.PutBranchMemory("alpha", "feature", BranchSlot.Own, Memory("alpha", "branch-only", 1, branch: "feature"));
                w.PutBranch(Branch("alpha", "feature"));
            });
            var expected = new[] { new KeyValuePair<string, int>("alpha", 1), new KeyValuePair<string, int>(Ns, 2), new KeyValuePair<string, int>("zeta", 3) };
            Assert.Equal(expected, Read(v => v.Namespaces().Select(n => new KeyValuePair<string, int>(n, v.CountMemories(n))).ToList()));
            Write(w => w.DeleteMemory("alpha", "only"));
            Assert.Equal(expected.Skip(1), Read(v => v.Namespaces().Select(n => new KeyValuePair<string, int>(n, v.CountMemories(n))).ToList()));
            Assert.Equal(0, Read(v => v.CountMemories("alpha")));
        }

        // ------------------------------------------------------------------ branches

        [Fact]
        public void BranchSlots_KeepOwnVersionsTombstonesAndBases_ApartFromMainAndEachOther()
        {
            var id = NewId();
            var main = Memory(Ns, "k", "main v2", version: 2, id: id);
            var own = Memory(Ns, "k", "branch v3", version: 3, id: id, branch: "feature");
            var baseCopy = Memory(Ns, "k", "main v1", version: 1, id: id);
            var tomb = MemoryRecord.Tombstone(NewId(), Ns, "gone", 4, "feature");
            Write(w =>
            {
                w.PutBranch(Branch(Ns, "feature"));
                w.PutMemory(main);
                w.PutBranchMemory(Ns, "feature", BranchSlot.Own, own);
                w.PutBranchMemory(Ns, "feature", BranchSlot.Own, tomb);
                w.PutBranchMemory(Ns, "feature", BranchSlot.Base, baseCopy);
            });
            using (var v = Storage.OpenRead())
            {
                SameMemory(main, v.ReadMemory(Ns, "k"));
                SameMemory(own, v.ReadBranchMemory(Ns, "feature", BranchSlot.Own, "k"));
                SameMemory(baseCopy, v.ReadBranchMemory(Ns, "feature", BranchSlot.Base, "k"));
                var t = v.ReadBranchMemory(Ns, "feature", BranchSlot.Own, "gone")!;
                Assert.True(t.Deleted);
                Assert.Equal((tomb.Id, 4), (t.Id, t.Version));
                Assert.Null(v.ReadBranchMemory(Ns, "feature", BranchSlot.Base, "gone"));
                Assert.Null(v.ReadBranchMemory(Ns, "other", BranchSlot.Own, "k"));
                Assert.Null(v.ReadMemory(Ns, "gone"));
                Assert.Equal(new[] { "gone", "k" }, v.ReadBranchMemories(Ns, "feature", BranchSlot.Own).Select(m => m.Key).OrderBy(k => k, StringComparer.Ordinal));
                Assert.Equal(new[] { "k" }, v.ReadBranchMemories(Ns, "feature", BranchSlot.Base).Select(m => m.Key));
                Assert.Empty(v.ReadBranchMemories(Ns, "other", BranchSlot.Own));
            }
            Write(w => w.DeleteBranchMemory(Ns, "feature", BranchSlot.Own, "k"));
            using (var v = Storage.OpenRead())
            {
                Assert.Null(v.ReadBranchMemory(Ns, "feature", BranchSlot.Own, "k"));
                SameMemory(baseCopy, v.ReadBranchMemory(Ns, "feature", BranchSlot.Base, "k"));
                SameMemory(main, v.ReadMemory(Ns, "k"));
            }
        }

        [Fact]
        public void ReadBranches_IsSortedByNamespaceThenName_AndCountsOwnChangesTombstonesIncluded()
        {
            var spike = Branch(Ns, "spike", new[] { "a", "b" });
            Write(w =>
            {
                w.PutBranch(spike);
                w.PutBranch(Branch(Ns, "feature"));
                w.PutBranch(Branch("alpha", "zed"));
                w.PutBranchMemory(Ns, "spike", BranchSlot.Own, Memory(Ns, "a", "own a", branch: "spike"));
                w.PutBranchMemory(Ns, "spike", BranchSlot.Own, MemoryRecord.Tombstone(NewId(), Ns, "b", 1, "spike"));
                w.PutBranchMemory(Ns, "spike", BranchSlot.Base, Memory(Ns, "a", "base a"));
            });
            using (var v = Storage.OpenRead())
            {
                Assert.Equal(new[] { "alpha/zed 0", Ns + "/feature 0", Ns + "/spike 2" },
                    v.ReadBranches(null).Select(b => $"{b.Key.Namespace}/{b.Key.Name} {b.Value}"));
                Assert.Equal(new[] { "feature", "spike" }, v.ReadBranches(Ns).Select(b => b.Key.Name));
                Assert.Empty(v.ReadBranches("zeta"));
                var read = v.ReadBranch(Ns, "spike")!;
                Assert.Equal((spike.Name, spike.Namespace, spike.Actor, spike.Reason, spike.Parent), (read.Name, read.Namespace, read.Actor, read.Reason, read.Parent));
                Assert.Equal(spike.CreatedUtc, read.CreatedUtc);
                Assert.Equal(new[] { "a", "b" }, read.Keys);
                Assert.Null(v.ReadBranch(Ns, "feature")!.Keys);
                Assert.Null(v.ReadBranch(Ns, "nope"));
                Assert.Null(v.ReadBranch("alpha", "spike"));
            }
        }

        [Fact]
        public void DropBranch_RemovesTheRecordAndEverythingTheBranchKeeps_AndNothingElse()
        {
            Write(w =>
            {
                w.PutBranch(Branch(Ns, "feature"));
                w.PutBranch(Branch(Ns, "spike"));
                w.PutMemory(Memory(Ns, "k", "main"));
                foreach (var b in new[] { "feature", "spike" })
                {
                    w.PutBranchMemory(Ns, b, BranchSlot.Own, Memory(Ns, "k", "own " + b, branch: b));
                    w.PutBranchMemory(Ns, b, BranchSlot.Base, Memory(Ns, "k", "base " + b));
                }
            });
            Write(w => w.DropBranch(Ns, "feature"));
            using (var v = Storage.OpenRead())
            {
                Assert.Null(v.ReadBranch(Ns, "feature"));
                Assert.Null(v.ReadBranchMemory(Ns, "feature", BranchSlot.Own, "k"));
                Assert.Null(v.ReadBranchMemory(Ns, "feature", BranchSlot.Base, "k"));
                Assert.Empty(v.ReadBranchMemories(Ns, "feature", BranchSlot.Own));
                Assert.Equal(new[] { "spike 1" }, v.ReadBranches(Ns).Select(b => b.Key.Name + " " + b.Value));
                Assert.Equal("own spike", v.ReadBranchMemory(Ns, "spike", BranchSlot.Own, "k")!.Value);
                Assert.Equal("base spike", v.ReadBranchMemory(Ns, "spike", BranchSlot.Base, "k")!.Value);
                Assert.Equal("main", v.ReadMemory(Ns, "k")!.Value);
            }
        }
    }
}
