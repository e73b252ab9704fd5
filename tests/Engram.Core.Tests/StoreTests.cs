using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Values;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    public class StoreTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();

        public void Dispose() => _t.Dispose();

        [Fact]
        public void FirstSet_CreatesConfig_MemoryFile_AndProvenance_ForSharedNamespace()
        {
            Assert.False(Directory.Exists(_t.Root));
            var r = _t.Set("shared", "Config", "v1");
            Assert.True(r.Changed);
            Assert.Equal(1, r.Memory.Version);

            var stem = Names.EncodeKey("Config");
            Assert.True(File.Exists(_t.P("engram.yaml")));
            Assert.True(File.Exists(_t.P("shared", stem + ".yaml")));
            Assert.True(File.Exists(_t.P("_provenance", "shared", stem + ".prov")));
            Assert.Equal(new[] { "_index/shared/log", "_lock", "_provenance/shared/" + stem + ".prov", "engram.yaml", "shared/" + stem + ".yaml" }, Files(_t.Root));
            // The namespace's search index: its log's header (no segment yet) and the memory's record.
            Assert.Equal("engram-index 1 0\n+ " + stem + " " + r.Memory.ContentHash + " 1 1 config:1:0 v1:0:1\n", File.ReadAllText(_t.P("_index", "shared", "log")));
            Assert.Empty(Directory.Exists(_t.P("_tmp")) ? Directory.GetFileSystemEntries(_t.P("_tmp")) : Array.Empty<string>());

            var config = StoreConfig.Parse(File.ReadAllText(_t.P("engram.yaml")), _t.P("engram.yaml"));
            Assert.Equal(StoreConfig.CurrentFormat, config.Format);
            Assert.Equal(new[] { "shared", "longterm" }, config.TrackedNamespaces);

            var text = File.ReadAllText(_t.P("shared", stem + ".yaml"));
            Assert.StartsWith($"engram: {MemoryRecord.CurrentFormat}\n", text);
            Assert.Contains("key: Config\n", text);
            Assert.Contains("version: 1\n", text);
            Assert.Contains("value: v1\n", text);
            Assert.NotNull(r.Entry);
            Assert.True(_t.Store.HasProvenance("shared", "Config"));
        }

        [Fact]
        public void LongtermIsTracked_SessionIsNot()
        {
            _t.Set("longterm", "a", 1);
            var r = _t.Set("session", "a", 1);
            Assert.Null(r.Entry);
            Assert.True(File.Exists(_t.P("_provenance", "longterm", "a.prov")));
            Assert.True(File.Exists(_t.P("session", "a.yaml")));
            Assert.False(File.Exists(_t.P("_provenance", "session", "a.prov")));
            Assert.False(Directory.Exists(_t.P("_provenance", "session")));
            Assert.False(_t.Store.HasProvenance("session", "a"));
        }

        [Fact]
        public void Get_ReturnsValueWithTypesIntact()
        {
            var value = new EngramMap(MapKind.Hashtable)
            {
                { "port", 8080 }, { "big", 5000000000L }, { "ratio", 0.5 }, { "name", "42" }, { "when", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc) },
                { "list", new object?[] { 1, "1", 1L, null, true } }, { "money", 1.10m }, { "id", Guid.Parse("4f1c0e8a-9b2d-4c6e-8f0a-1b2c3d4e5f60") },
            };
            _t.Set("shared", "cfg", value, tags: new[] { "infra", "prod" });
            var m = _t.Reopen().Get("shared", "cfg");
            Assert.Equal("cfg", m.Key);
            Assert.Equal("shared", m.Namespace);
            Assert.Equal(new[] { "infra", "prod" }, m.Tags);
            var v = Assert.IsType<EngramMap>(m.Value);
            Assert.Equal(MapKind.Hashtable, v.Kind);
            Assert.Equal(value.Keys.ToList(), v.Keys.ToList());
            Assert.Equal(8080, Assert.IsType<int>(v["port"]));
            Assert.Equal(5000000000L, Assert.IsType<long>(v["big"]));
            Assert.Equal(0.5, Assert.IsType<double>(v["ratio"]));
            Assert.Equal("42", Assert.IsType<string>(v["name"]));
            Assert.Equal(DateTimeKind.Utc, Assert.IsType<DateTime>(v["when"]).Kind);
            Assert.Equal(new object?[] { 1, "1", 1L, null, true }, Assert.IsType<object?[]>(v["list"]));
            Assert.Equal("1.10", Assert.IsType<decimal>(v["money"]).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.IsType<Guid>(v["id"]);
            Assert.Equal(ValueCodec.ContentHash(value), m.ContentHash);
            Assert.Equal(32, m.Id.Length);
        }

        [Fact]
        public void Versions_AreGapFree_AndSameValueIsANoOp()
        {
            var r1 = _t.Set("shared", "k", "a");
            var r2 = _t.Set("shared", "k", "b");
            var r3 = _t.Set("shared", "k", "c");
            Assert.Equal(new[] { 1, 2, 3 }, new[] { r1.Memory.Version, r2.Memory.Version, r3.Memory.Version });
            Assert.Equal(r1.Memory.Id, r3.Memory.Id);
            Assert.Equal(r1.Memory.CreatedUtc, _t.Store.Get("shared", "k").CreatedUtc);

            var prov = _t.P("_provenance", "shared", "k.prov");
            var mem = _t.P("shared", "k.yaml");
            var before = Snapshot(_t.Root);
            var again = _t.Set("shared", "k", "c");
            Assert.False(again.Changed);
            Assert.Null(again.Entry);
            Assert.Equal(3, again.Memory.Version);
            AssertUnchanged(before, Snapshot(_t.Root));
            Assert.Equal(3, _t.Store.GetProvenance("shared", "k").Count());

            // Equal but differently ordered map: still a no-op.
            _t.Set("shared", "m", new EngramMap { { "a", 1 }, { "b", 2 } });
            Assert.False(_t.Set("shared", "m", new EngramMap { { "b", 2 }, { "a", 1 } }).Changed);
            // Same text, different type: a change.
            _t.Set("shared", "n", 1);
            Assert.True(_t.Set("shared", "n", 1L).Changed);
            Assert.True(_t.Set("shared", "n", "1").Changed);
            Assert.Equal(3, _t.Store.Get("shared", "n").Version);
            _ = prov; _ = mem;
        }

        [Fact]
        public void EveryValueType_IsANoOpWhenWrittenAgain()
        {
            // The no-op check compares the hash of the value read back from disk: every type must survive the file.
            var values = new object?[]
            {
                null, "", "x", " lead", "a\tb\t", "a\r\nb", "a\u2028b", "multi\nline\n", 0, int.MinValue, 5L, long.MaxValue, 1.5, double.NaN,
                double.PositiveInfinity, double.NegativeInfinity, -0.0, 1.5f, float.NegativeInfinity, 1.10m, (byte)1, (sbyte)-1, (short)2, (ushort)3, 4u, 5ul, 'c', '\t',
                new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Local), new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Unspecified),
                new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.FromHours(3)), TimeSpan.FromDays(1.5), Guid.NewGuid(), new byte[] { 9, 8 }, true,
                new object?[] { new object?[] { 1 }, new EngramMap(MapKind.Ordered) { { "z", 1 }, { "a", 2 } } },
            };
            for (int i = 0; i < values.Length; i++)
            {
                var key = "v" + i;
                Assert.True(_t.Set("session", key, values[i]).Changed);
                var r = _t.Reopen().Set(new SetRequest("session", key, values[i]) { Actor = "tester" });
                Assert.False(r.Changed, $"value #{i} ({values[i]?.GetType().Name}) was not recognised as unchanged");
                var back = _t.Store.Get("session", key).Value;
                Assert.Equal(values[i]?.GetType(), back?.GetType());
            }
        }

        [Fact]
        public void Tags_NullKeepsExisting_EmptyClears_AndTagChangeIsAVersion()
        {
            _t.Set("shared", "k", "v", tags: new[] { " a ", "b", "a", "" });
            Assert.Equal(new[] { "a", "b" }, _t.Store.Get("shared", "k").Tags);
            var r = _t.Set("shared", "k", "v2", tags: null);
            Assert.Equal(new[] { "a", "b" }, r.Memory.Tags);
            Assert.Equal(new[] { "a", "b" }, _t.Reopen().Get("shared", "k").Tags);
            Assert.False(_t.Set("shared", "k", "v2", tags: null).Changed);
            Assert.False(_t.Set("shared", "k", "v2", tags: new[] { "a", "b" }).Changed);
            var changed = _t.Set("shared", "k", "v2", tags: new[] { "c" });
            Assert.True(changed.Changed);
            Assert.Equal(3, changed.Memory.Version);
            Assert.Equal(new[] { "c" }, _t.Store.Get("shared", "k").Tags);
            Assert.Equal(3, _t.Store.GetProvenance("shared", "k").Count());
            _t.Set("shared", "k", "v2", tags: Array.Empty<string>());
            Assert.Empty(_t.Store.Get("shared", "k").Tags);
            Throws(EngramErrorIds.InvalidKey, () => _t.Set("shared", "k", "v2", tags: new[] { "bad\ntag" }));
        }

        [Fact]
        public void ConfigAndconfig_AreTwoMemories()
        {
            _t.Set("shared", "Config", "upper");
            _t.Set("shared", "config", "lower");
            Assert.Equal("upper", _t.Store.Get("shared", "Config").Value);
            Assert.Equal("lower", _t.Store.Get("shared", "config").Value);
            Assert.Equal(2, Directory.GetFiles(_t.P("shared"), "*.yaml").Length);
            Assert.Equal(2, Directory.GetFiles(_t.P("_provenance", "shared"), "*.prov").Length);
            Assert.NotEqual(_t.Store.Get("shared", "Config").Id, _t.Store.Get("shared", "config").Id);
            Assert.Equal(new[] { "Config", "config" }, _t.Store.List("shared").Select(l => l.Key).ToArray());
            Assert.Null(_t.Store.TryGet("shared", "CONFIG"));
            Throws(EngramErrorIds.MemoryNotFound, () => _t.Store.Get("shared", "CONFIG"));
        }

        [Fact]
        public void NamespaceIsCaseInsensitive()
        {
            _t.Set("Shared", "k", 1);
            Assert.Equal(1, _t.Store.Get("SHARED", "k").Value);
            Assert.Equal("shared", _t.Store.Get("SHARED", "k").Namespace);
            Assert.True(Directory.Exists(_t.P("shared")));
            Assert.Equal(new[] { "shared" }, _t.Store.ListNamespaces());
        }

        [Fact]
        public void HostileKeys_NeverWriteOutsideTheirFolders()
        {
            var parentBefore = Directory.GetFileSystemEntries(_t.Parent).OrderBy(x => x).ToArray();
            var keys = new[] { "../x", "a/b", "a\\b", "CON", "con", "nul.txt", "..", ".", "../../escape", "/abs", "C:\\abs", "x/../../y", "~", "_provenance", "../_provenance/shared/x" };
            foreach (var ns in new[] { "shared", "session" })
                foreach (var k in keys)
                {
                    _t.Set(ns, k, "value of " + k);
                    Assert.Equal("value of " + k, _t.Store.Get(ns, k).Value);
                }

            Assert.Equal(parentBefore.Concat(new[] { _t.Root }).OrderBy(x => x).ToArray(),
                         Directory.GetFileSystemEntries(_t.Parent).OrderBy(x => x).ToArray());
            var root = Path.GetFullPath(_t.Root) + Path.DirectorySeparatorChar;
            var allowed = new HashSet<string>
            {
                _t.P("shared"), _t.P("session"), _t.P("_provenance", "shared"), _t.Root, _t.P("_tmp"), _t.P("_provenance"),
                _t.P("_index"), _t.P("_index", "shared"), _t.P("_index", "session"),
            };
            foreach (var f in Directory.EnumerateFiles(_t.Root, "*", SearchOption.AllDirectories))
            {
                var full = Path.GetFullPath(f);
                Assert.StartsWith(root, full);
                Assert.Contains(Path.GetDirectoryName(full)!, allowed);
            }
            foreach (var d in Directory.EnumerateDirectories(_t.Root, "*", SearchOption.AllDirectories))
                Assert.Contains(Path.GetFullPath(d), allowed);
            Assert.Equal(keys.Length, Directory.GetFiles(_t.P("shared")).Length);
            Assert.Equal(keys.Length, Directory.GetFiles(_t.P("session")).Length);
            Assert.Equal(keys.Length, Directory.GetFiles(_t.P("_provenance", "shared")).Length);
            Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), _t.Store.List("session").Select(l => l.Key!).ToArray());
        }

        [Fact]
        public void UnusualKeys_RoundTripThroughTheStore()
        {
            var keys = new[]
            {
                " lead", "trail ", "x.", ".hidden", "日本語", "😀", "a_b", "^", "~x", "null", "true", "42", "- x", ": x", "#x", "a *b", "\u2028", "a\u2029b",
                "\u00a0", "'q'", "\"dq\"", "{a}", "[a]", "&a", "*a", "!a", "%a", "@a", "`a", "|", ">", "?", "---", "...", "x: y", new string('L', 512),
                string.Concat(Enumerable.Repeat("日", 100)),
            };
            foreach (var k in keys)
            {
                var r = _t.Set("shared", k, k);
                Assert.Equal(k, r.Memory.Key);
                var m = _t.Reopen().Get("shared", k);
                Assert.Equal(k, m.Key);
                Assert.Equal(k, m.Value);
                Assert.False(_t.Set("shared", k, k).Changed);
                var hist = _t.Store.GetProvenance("shared", k).ToList();
                Assert.Single(hist);
                Assert.Equal(k, hist[0].Key);
                Assert.True(hist[0].VerifyHash());
            }
            var listed = _t.Store.List("shared").ToList();
            Assert.Equal(keys.Length, listed.Count);
            var read = listed.Select(l => _t.Store.Read(l).Key).OrderBy(k => k, StringComparer.Ordinal).ToArray();
            Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal).ToArray(), read);
            // Long keys are listed with a null key (hashed file name) and read from the file.
            Assert.Contains(listed, l => l.Key == null);
        }

        [Fact]
        public void LongKey_IsStoredUnderAHashedName_AndTwoLongKeysDoNotCollide()
        {
            var k1 = new string('a', 500) + "1";
            var k2 = new string('a', 500) + "2";
            _t.Set("shared", k1, 1);
            _t.Set("shared", k2, 2);
            Assert.Equal(1, _t.Store.Get("shared", k1).Value);
            Assert.Equal(2, _t.Store.Get("shared", k2).Value);
            foreach (var f in Directory.GetFiles(_t.P("shared")))
            {
                Assert.StartsWith("~", Path.GetFileName(f));
                Assert.True(Path.GetFileName(f).Length <= 161 + ".yaml".Length);
            }
        }

        [Fact]
        public void Remove_Untracked_DeletesTheFile()
        {
            _t.Set("session", "k", 1);
            var entry = _t.Store.Remove("session", "k", "tester");
            Assert.Null(entry);
            Assert.False(File.Exists(_t.P("session", "k.yaml")));
            Assert.Null(_t.Store.TryGet("session", "k"));
            Throws(EngramErrorIds.MemoryNotFound, () => _t.Store.Get("session", "k"));
            Assert.False(Directory.Exists(_t.P("_provenance", "session")));
            // Re-created untracked: a brand-new memory.
            Assert.Equal(1, _t.Set("session", "k", 2).Memory.Version);
        }

        [Fact]
        public void Remove_Tracked_AppendsDeleted_KeepsHistory_AndReCreateContinuesTheSameMemory()
        {
            var id = _t.Set("shared", "k", "a").Memory.Id;
            _t.Set("shared", "k", "b");
            var del = _t.Store.Remove("shared", "k", "remover", "cleanup");
            Assert.NotNull(del);
            Assert.Equal(ProvenanceActions.Deleted, del!.Action);
            Assert.Equal(2, del.Version);
            Assert.Equal(3, del.Seq);
            Assert.Equal("remover", del.Actor);
            Assert.Equal("cleanup", del.Reason);
            Assert.Null(del.ContentHash);
            Assert.Equal(id, del.MemoryId);
            Assert.False(File.Exists(_t.P("shared", "k.yaml")));
            Assert.True(File.Exists(_t.P("_provenance", "shared", "k.prov")));
            Assert.Null(_t.Store.TryGet("shared", "k"));

            var hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal(new[] { "created", "revised", "deleted" }, hist.Select(e => e.Action));
            Assert.False(hist[2].HasValue);
            AssertChain(hist);

            var again = _t.Set("shared", "k", "c");
            Assert.Equal(id, again.Memory.Id);
            Assert.Equal(3, again.Memory.Version);
            Assert.Equal(ProvenanceActions.Created, again.Entry!.Action);
            hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal(new[] { "created", "revised", "deleted", "created" }, hist.Select(e => e.Action));
            Assert.Equal(new[] { 1, 2, 2, 3 }, hist.Select(e => e.Version));
            Assert.All(hist, e => Assert.Equal(id, e.MemoryId));
            AssertChain(hist);

            // Tracked forever: even a write that asks for no tracking is refused after re-creation.
            Throws(EngramErrorIds.ProvenanceRequired, () => _t.Set("shared", "k", "d", track: false));
        }

        [Fact]
        public void Remove_Missing_IsMemoryNotFound()
        {
            _t.Set("shared", "other", 1);
            var before = Snapshot(_t.Root);
            Throws(EngramErrorIds.MemoryNotFound, () => _t.Store.Remove("shared", "nope", "tester"));
            Throws(EngramErrorIds.MemoryNotFound, () => _t.Store.Remove("session", "nope", "tester"));
            AssertUnchanged(before, Snapshot(_t.Root));
            _t.Store.Remove("shared", "other", "tester");
            Throws(EngramErrorIds.MemoryNotFound, () => _t.Store.Remove("shared", "other", "tester"));
        }

        [Fact]
        public void ReadsOnAFolderWithoutEngramYaml_AreStoreNotFound()
        {
            Directory.CreateDirectory(_t.Root);
            Throws(EngramErrorIds.StoreNotFound, () => _t.Store.EnsureExists());
            Throws(EngramErrorIds.StoreNotFound, () => _t.Store.Get("shared", "k"));
            Throws(EngramErrorIds.StoreNotFound, () => _t.Store.GetProvenance("shared", "k").ToList());
            Throws(EngramErrorIds.StoreNotFound, () => _t.Store.Remove("shared", "k", "tester"));
            Assert.False(_t.Store.Exists);
            Assert.Empty(Directory.GetFileSystemEntries(_t.Root));

            // A folder that does not exist at all: same, and nothing is created.
            var missing = new EngramStore(Path.Combine(_t.Parent, "missing"));
            Throws(EngramErrorIds.StoreNotFound, () => missing.EnsureExists());
            Throws(EngramErrorIds.StoreNotFound, () => missing.Get("shared", "k"));
            Assert.False(Directory.Exists(Path.Combine(_t.Parent, "missing")));
        }

        [Fact]
        public void Initialize_CreatesConfig_RefusesExisting_ForceRewrites()
        {
            var cfg = new StoreConfig { TrackAll = true };
            _t.Store.Initialize(cfg);
            Assert.True(_t.Store.Exists);
            Assert.True(_t.Reopen().Config.TrackAll);
            Throws(EngramErrorIds.StoreAlreadyExists, () => _t.Reopen().Initialize());
            _t.Set("session", "k", 1);
            Assert.True(File.Exists(_t.P("_provenance", "session", "k.prov"))); // track: all
            _t.Reopen().Initialize(new StoreConfig(), force: true);
            Assert.False(_t.Reopen().Config.TrackAll);
            Assert.Equal(1, _t.Store.Get("session", "k").Value); // memories untouched
        }

        [Fact]
        public void StoreRootThatIsAFile_IsRefused()
        {
            File.WriteAllText(_t.Root, "not a folder");
            Throws(EngramErrorIds.InvalidStorePath, () => _t.Set("shared", "k", 1));
            Throws(EngramErrorIds.InvalidStorePath, () => new EngramStore(" "));
        }

        [Fact]
        public void Namespaces_ListingAndCounts()
        {
            _t.Set("shared", "a", 1);
            _t.Set("shared", "b", 1);
            _t.Set("project-x", "a", 1);
            Assert.Equal(new[] { "project-x", "shared" }, _t.Store.ListNamespaces());
            var infos = _t.Store.GetNamespaces();
            var shared = infos.Single(i => i.Name == "shared");
            Assert.Equal(2, shared.MemoryCount);
            Assert.True(shared.Tracked);
            Assert.True(shared.IsStandard);
            var px = infos.Single(i => i.Name == "project-x");
            Assert.False(px.Tracked);
            Assert.False(px.IsStandard);
            Assert.Equal(1, px.MemoryCount);
            var thinking = infos.Single(i => i.Name == "thinking");
            Assert.False(thinking.Exists);
            Assert.Equal(0, thinking.MemoryCount);
            Assert.DoesNotContain(infos, i => i.Name.StartsWith('_'));
        }

        [Fact]
        public void InvalidActorAndAction_AreRefusedBeforeAnythingIsWritten()
        {
            Throws(EngramErrorIds.InvalidActor, () => _t.Store.Set(new SetRequest("shared", "k", 1) { Actor = "bad\nactor" }));
            Throws(EngramErrorIds.InvalidActor, () => _t.Store.Set(new SetRequest("shared", "k", 1) { Actor = new string('a', 257) }));
            Throws(EngramErrorIds.InvalidAction, () => _t.Store.Set(new SetRequest("shared", "k", 1) { Actor = "t", Action = "Bad Action" }));
            Throws(EngramErrorIds.InvalidAction, () => _t.Store.Set(new SetRequest("shared", "k", 1) { Actor = "t", Action = "deleted" }));
            Assert.False(Directory.Exists(_t.Root));
            var r = _t.Store.Set(new SetRequest("shared", "k", 1) { Actor = "  padded  ", Action = "synthesized" });
            Assert.Equal("padded", r.Entry!.Actor);
            Assert.Equal("synthesized", r.Entry.Action);
            Assert.Equal("synthesized", _t.Store.GetProvenance("shared", "k").Single().Action);
        }
    }
}
