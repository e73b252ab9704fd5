using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;
using Engram.Storage.Sql;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>
    /// The backend contract: what every <see cref="IEngramStore"/> must do, checked through the interface only (never
    /// through files or tables), each test on a fresh, empty store of <see cref="Kind"/>. The YAML file store is the
    /// reference: every test here passes on it, and the SQL stores must behave the same — same values and types, same
    /// versions and history entries (hash for hash), same error ids, nothing written by a refused operation.
    /// </summary>
    public abstract partial class BackendContract : IDisposable
    {
        protected const string Ns = "shared";

        private readonly List<BackendLocation> _locations = new List<BackendLocation>();
        private readonly List<IEngramStore> _opened = new List<IEngramStore>();
        private readonly Dictionary<IEngramStore, BackendLocation> _where = new Dictionary<IEngramStore, BackendLocation>(ReferenceEqualityComparer.Instance);
        private BackendLocation? _location;
        private IEngramStore? _store;

        /// <summary>The backend under test.</summary>
        protected abstract BackendKind Kind { get; }

        /// <summary>The backend a transfer goes to (and comes from): another one than <see cref="Kind"/>.</summary>
        protected virtual BackendKind OtherKind => Kind == BackendKind.File ? BackendKind.Sqlite : BackendKind.File;

        /// <summary>This test's store location (created on first use).</summary>
        protected BackendLocation Location => _location ??= NewLocation();

        /// <summary>This test's store object.</summary>
        protected IEngramStore S => _store ??= Open(Location);

        /// <summary>A new store object on the same location (nothing cached).</summary>
        protected IEngramStore Reopen() => Open(Location);

        /// <summary>A new store object on the location <paramref name="store"/> was opened on.</summary>
        protected IEngramStore Reopen(IEngramStore store) => Open(_where[store]);

        /// <summary>A further fresh, empty store location of the backend under test.</summary>
        protected virtual BackendLocation NewLocation() => NewLocation(Kind);

        /// <summary>The name the backend under test reports (<see cref="IEngramStore.Backend"/>).</summary>
        protected virtual string BackendName => Kind == BackendKind.File ? "file" : Kind == BackendKind.Sqlite ? "sqlite" : "postgres";

        /// <summary>Registers a location made by a subclass, to be cleaned up after the test.</summary>
        protected BackendLocation Track(BackendLocation location)
        {
            _locations.Add(location);
            return location;
        }

        /// <summary>A further fresh, empty store location (of any backend), cleaned up after the test.</summary>
        protected BackendLocation NewLocation(BackendKind kind)
        {
            if (kind == BackendKind.Postgres) PostgresGate.EnsureAvailable();
            var location = BackendLocation.Create(kind);
            _locations.Add(location);
            return location;
        }

        /// <summary>A new store object on <paramref name="location"/>, disposed (if disposable) after the test.</summary>
        protected IEngramStore Open(BackendLocation location)
        {
            var store = location.Open();
            lock (_opened)
            {
                _opened.Add(store);
                _where[store] = location;
            }
            return store;
        }

        /// <summary>A new store object on a further fresh, empty location of <paramref name="kind"/>.</summary>
        protected IEngramStore OpenNew(BackendKind kind) => Open(NewLocation(kind));

        public void Dispose()
        {
            foreach (var s in _opened.OfType<IDisposable>()) { try { s.Dispose(); } catch (Exception) { } }
            foreach (var l in _locations) l.Dispose();
        }

        // ------------------------------------------------------------------ helpers

        protected static SetResult Put(IEngramStore s, string ns, string key, object? value, IReadOnlyList<string>? tags = null, bool? track = null,
            string? branch = null, string actor = "tester", string? reason = null) =>
            s.Set(new SetRequest(ns, key, value) { Tags = tags, TrackProvenance = track, Branch = branch, Actor = actor, Reason = reason });

        protected SetResult Put(string ns, string key, object? value, IReadOnlyList<string>? tags = null, bool? track = null, string? branch = null,
            string actor = "tester", string? reason = null) =>
            Put(S, ns, key, value, tags, track, branch, actor, reason);

        protected SetResult Derive(string ns, string key, object? value, string[] from, string? action = null, double? confidence = null,
            string actor = "agent", string? reason = null) =>
            S.Set(new SetRequest(ns, key, value)
            {
                DerivedFrom = from.Select(MemoryRef.Parse).ToList(), Action = action, Confidence = confidence, Actor = actor, Reason = reason,
            });

        protected List<ProvenanceEntry> History(string key, string ns = Ns, string? branch = null) =>
            S.GetProvenance(ns, key, branch: branch).ToList();

        protected object? Main(string key, string ns = Ns) => S.TryGet(ns, key)?.Value;
        protected object? On(string branch, string key, string ns = Ns) => S.TryGet(ns, key, branch)?.Value;
        protected BranchInfo Info(string branch, string ns = Ns) => S.GetBranches(ns).Single(b => b.Record.Name == branch);

        protected static EngramException Throws(string errorId, Action action)
        {
            var ex = Assert.ThrowsAny<EngramException>(action);
            Assert.True(errorId == ex.ErrorId, $"expected error id {errorId}, got {ex.ErrorId}: {ex.Message}");
            return ex;
        }

        protected static EngramException Throws(string errorId, Func<object?> action) => Throws(errorId, () => { action(); });

        protected static string Describe(StoreReport r) =>
            string.Join("\n", r.Findings.Select(f => $"{f.Severity} {f.Kind} {f.Namespace}/{f.Key}#{f.Seq}: {f.Message}"));

        protected static void AssertHealthy(StoreReport r) =>
            Assert.True(r.Healthy && r.Findings.All(f => f.Severity == FindingSeverity.Information), "expected a healthy report, got:\n" + Describe(r));

        /// <summary>Consecutive seqs from <paramref name="firstSeq"/>, each entry's own hash, prev-hash links (through squashed entries' lastHash).</summary>
        protected static void AssertChain(IReadOnlyList<ProvenanceEntry> entries, long firstSeq = 1)
        {
            Assert.NotEmpty(entries);
            for (int i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                Assert.True(e.VerifyHash(), $"entry {e.Seq} of {e.Namespace}/{e.Key} does not verify");
                Assert.Matches("^[0-9a-f]{64}$", e.Hash);
                if (i == 0)
                {
                    if (e.Action != ProvenanceActions.Squashed) Assert.Equal(firstSeq, e.Seq);
                    if (e.Seq == 1) Assert.Null(e.PrevHash);
                    continue;
                }
                var prev = entries[i - 1];
                Assert.Equal(prev.Seq + 1, e.Seq);
                var link = prev.Action == ProvenanceActions.Squashed ? prev.Details!["lastHash"] as string : prev.Hash;
                Assert.Equal(link, e.PrevHash);
            }
        }

        protected static string Detail(ProvenanceEntry e, string name) =>
            e.Details != null && e.Details.TryGetValue(name, out var v) ? Convert.ToString(v, CultureInfo.InvariantCulture) ?? "" : "<none>";

        /// <summary>Same value, same .NET types (int stays int), same map kinds and key order, same bits for doubles.</summary>
        protected static void AssertSameValue(object? expected, object? actual, string path = "value")
        {
            if (expected == null) { Assert.True(actual == null, $"{path}: expected null, got {actual}"); return; }
            Assert.True(actual != null, $"{path}: expected {expected} ({expected.GetType().Name}), got null");
            Assert.True(expected.GetType() == actual!.GetType(), $"{path}: expected a {expected.GetType().Name}, got a {actual.GetType().Name} ({actual})");
            switch (expected)
            {
                case EngramMap em:
                    var am = (EngramMap)actual;
                    Assert.True(em.Kind == am.Kind, $"{path}: expected a {em.Kind} map, got {am.Kind}");
                    Assert.Equal(em.Keys.ToArray(), am.Keys.ToArray());
                    foreach (var k in em.Keys) AssertSameValue(em[k], am[k], path + "." + k);
                    break;
                case object?[] ea:
                    var aa = (object?[])actual;
                    Assert.True(ea.Length == aa.Length, $"{path}: expected {ea.Length} items, got {aa.Length}");
                    for (int i = 0; i < ea.Length; i++) AssertSameValue(ea[i], aa[i], path + "[" + i + "]");
                    break;
                case byte[] eb:
                    Assert.Equal(eb, (byte[])actual);
                    break;
                case double d:
                    Assert.True(BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits((double)actual), $"{path}: expected {d:R}, got {(double)actual:R}");
                    break;
                case DateTime dt:
                    var adt = (DateTime)actual;
                    Assert.True(dt.Ticks == adt.Ticks && dt.Kind == adt.Kind, $"{path}: expected {dt:o} ({dt.Kind}), got {adt:o} ({adt.Kind})");
                    break;
                case decimal m:
                    Assert.Equal(m.ToString(CultureInfo.InvariantCulture), ((decimal)actual).ToString(CultureInfo.InvariantCulture));
                    break;
                default:
                    Assert.Equal(expected, actual);
                    break;
            }
        }

        private static string L(LineageLink l) =>
            $"{l.Direction} d{l.Depth} {l.Namespace}/{l.Key}@{l.Version} <- {l.SourceNamespace}/{l.SourceKey}@{l.SourceVersion}";

        // ================================================================== store lifecycle

        [BackendFact]
        public void Initialize_CreatesTheStore_ConfigRoundTrips_ExistingIsRefused_ForceRewritesAndKeepsMemories()
        {
            Assert.Equal(BackendName, S.Backend);
            Assert.False(string.IsNullOrEmpty(S.Root));
            Assert.False(S.Exists);

            S.Initialize(new StoreConfig { TrackedNamespaces = new List<string> { "shared", "projects" }, Durability = Durability.Full,
                Embeddings = new Engram.Core.Search.EmbeddingsConfig(Engram.Core.Search.EmbeddingsConfig.Ollama, "nomic-embed-text") });
            Assert.True(S.Exists);
            var again = Reopen();
            Assert.True(again.Exists);
            Assert.Equal(new[] { "shared", "projects" }, again.Config.TrackedNamespaces);
            Assert.False(again.Config.TrackAll);
            Assert.Equal(Durability.Full, again.Config.Durability);
            Assert.Equal(StoreConfig.CurrentFormat, again.Config.Format);
            Assert.True(again.Config.DefaultRetention.IsForever);
            Assert.NotNull(Put(again, "projects", "k", 1).Entry);   // tracked by this configuration
            Assert.Null(Put(again, "longterm", "k", 1).Entry);      // not any more

            Throws(EngramErrorIds.StoreAlreadyExists, () => Reopen().Initialize());
            Assert.Equal(new[] { "shared", "projects" }, Reopen().Config.TrackedNamespaces);

            Reopen().SetRetention(null, new RetentionPolicy(null, 50));
            Reopen().SetRetention("session", new RetentionPolicy(TimeSpan.FromDays(7), null));
            Reopen().Initialize(new StoreConfig { TrackAll = true }, force: true);
            var forced = Reopen();
            Assert.True(forced.Config.TrackAll);
            Assert.Equal(50, forced.Config.DefaultRetention.MaxEntries);                 // -Force keeps what it does not set
            Assert.Equal(TimeSpan.FromDays(7), forced.Config.RetentionFor("session").MaxAge);
            Assert.Equal("nomic-embed-text", forced.Config.Embeddings?.Model);
            Assert.Equal(Durability.Normal, forced.Config.Durability);
            Assert.Equal(1, forced.Get("projects", "k").Value);     // memories untouched
            Assert.Single(forced.GetProvenance("projects", "k"));
            Assert.NotNull(Put(forced, "session", "k", 1).Entry);   // track: all

            var upgrade = forced.Upgrade();
            Assert.False(upgrade.Applied);
            Assert.Equal(StoreConfig.CurrentFormat, upgrade.FromFormat);
        }

        [BackendFact]
        public void MissingStore_ReadsAreStoreNotFound_AndCreateNothing()
        {
            Assert.False(S.Exists);
            Throws(EngramErrorIds.StoreNotFound, () => S.EnsureExists());
            Throws(EngramErrorIds.StoreNotFound, () => S.Get(Ns, "k"));
            Throws(EngramErrorIds.StoreNotFound, () => S.GetProvenance(Ns, "k").ToList());
            Throws(EngramErrorIds.StoreNotFound, () => S.Remove(Ns, "k", "tester"));
            Throws(EngramErrorIds.StoreNotFound, () => S.Verify());
            Throws(EngramErrorIds.StoreNotFound, () => S.GetHead(Ns));
            Throws(EngramErrorIds.StoreNotFound, () => S.Fork(Ns, "feat", null, "tester"));
            Throws(EngramErrorIds.StoreNotFound, () => S.Export());
            Assert.False(S.Exists);
            Assert.False(Reopen().Exists);
        }

        [BackendFact]
        public void FirstWrite_CreatesTheStore_WithTheDefaultPolicy()
        {
            var r = Put(Ns, "k", "v");
            Assert.True(r.Changed);
            Assert.Equal(1, r.Memory.Version);
            Assert.NotNull(r.Entry);
            var s = Reopen();
            Assert.True(s.Exists);
            Assert.Equal(new[] { "shared", "longterm" }, s.Config.TrackedNamespaces);
            Assert.True(s.Config.IsTracked("shared") && s.Config.IsTracked("longterm"));
            Assert.False(s.Config.IsTracked("session") || s.Config.IsTracked("projects"));
            Assert.NotNull(Put(s, "longterm", "k", "v").Entry);
            Assert.Null(Put(s, "session", "k", "v").Entry);
            Assert.Equal("v", s.Get(Ns, "k").Value);
        }

        // ================================================================== values, tags, versions

        private static readonly (string key, object? value)[] TypedValues =
        {
            ("int", 42), ("int-min", int.MinValue), ("long", 5000000000L), ("long-max", long.MaxValue), ("long-small", 7L),
            ("double", 0.1), ("double-big", 1.5e300), ("double-neg-zero", -0.0), ("nan", double.NaN), ("inf", double.NegativeInfinity),
            ("true", true), ("false", false),
            ("string", "hello"), ("empty", ""), ("multiline", "a\r\nb\n"), ("unicode", "日本語 😀"), ("numeric-string", "42"), ("null-string", "null"),
            ("yaml-ish", "- x: [1]\n---\n#~ 1 2 3"),
            ("utc", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234567)),
            ("unspecified", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Unspecified)),
            ("bytes", new byte[] { 0, 1, 2, 127, 128, 255 }), ("no-bytes", Array.Empty<byte>()),
            ("decimal", 1.10m), ("guid", Guid.Parse("4f1c0e8a-9b2d-4c6e-8f0a-1b2c3d4e5f60")),
            ("null", null),
            ("list", new object?[] { 1, "1", 1L, null, true, 2.5, new byte[] { 9 } }), ("empty-list", Array.Empty<object?>()),
            ("ordered", new EngramMap(MapKind.Ordered) { { "z", 1 }, { "a", new object?[] { new EngramMap(MapKind.Object) { { "deep", 5000000000L } } } } }),
            ("hashtable", new EngramMap(MapKind.Hashtable) { { "port", 8080 }, { "when", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) }, { "nested", new EngramMap(MapKind.Ordered) { { "b", null }, { "a", "x" } } } }),
            ("object", new EngramMap(MapKind.Object) { { "name", "n" }, { "tags", new object?[] { "a", "b" } }, { "ok", false } }),
            ("empty-map", new EngramMap(MapKind.Hashtable)),
        };

        [BackendFact]
        public void TypedValues_RoundTripExactly_InMemoriesAndHistories_AndAreNoOpsWhenWrittenAgain()
        {
            foreach (var (key, value) in TypedValues)
            {
                var r = Put(Ns, key, value);
                Assert.True(r.Changed, key);
                Assert.Equal(ValueCodec.ContentHash(value), r.Memory.ContentHash);
            }
            var s = Reopen();
            foreach (var (key, value) in TypedValues)
            {
                var m = s.Get(Ns, key);
                AssertSameValue(value, m.Value, key);
                Assert.Equal(ValueCodec.ContentHash(value), m.ContentHash);
                var e = Assert.Single(s.GetProvenance(Ns, key));
                Assert.True(e.HasValue, key);
                AssertSameValue(value, e.Value, key + " (history)");
                Assert.Equal(ValueCodec.ContentHash(value), e.ContentHash);
                Assert.False(Put(s, Ns, key, value).Changed, $"'{key}' was not recognised as unchanged");
                Assert.Equal(1, s.Get(Ns, key).Version);
            }
        }

        [BackendFact]
        public void Tags_NullKeepsThem_EmptyClears_ChangeIsAVersion_BadTagIsRefused()
        {
            Put(Ns, "k", "v", tags: new[] { " a ", "b", "a", "" });
            Assert.Equal(new[] { "a", "b" }, S.Get(Ns, "k").Tags);
            var r = Put(Ns, "k", "v2", tags: null);
            Assert.Equal(new[] { "a", "b" }, r.Memory.Tags);
            Assert.Equal(new[] { "a", "b" }, Reopen().Get(Ns, "k").Tags);
            Assert.False(Put(Ns, "k", "v2", tags: null).Changed);
            Assert.False(Put(Ns, "k", "v2", tags: new[] { "a", "b" }).Changed);
            var changed = Put(Ns, "k", "v2", tags: new[] { "c" });
            Assert.True(changed.Changed);
            Assert.Equal(3, changed.Memory.Version);
            Assert.Equal(new[] { "c" }, Reopen().Get(Ns, "k").Tags);
            Put(Ns, "k", "v2", tags: Array.Empty<string>());
            Assert.Empty(Reopen().Get(Ns, "k").Tags);
            Throws(EngramErrorIds.InvalidKey, () => Put(Ns, "k", "v3", tags: new[] { "bad\ntag" }));
            Assert.Equal("v2", S.Get(Ns, "k").Value);
            Assert.Equal(4, History("k").Count);
        }

        [BackendFact]
        public void Versions_AreGapFree_IdAndCreationTimeAreKept()
        {
            var r1 = Put(Ns, "k", "a");
            var r2 = Put(Ns, "k", "b");
            var r3 = Put(Ns, "k", "c");
            Assert.Equal(new[] { 1, 2, 3 }, new[] { r1.Memory.Version, r2.Memory.Version, r3.Memory.Version });
            Assert.False(string.IsNullOrEmpty(r1.Memory.Id));
            Assert.Equal(r1.Memory.Id, r3.Memory.Id);
            var m = Reopen().Get(Ns, "k");
            Assert.Equal(r1.Memory.Id, m.Id);
            Assert.Equal(3, m.Version);
            Assert.Equal(r1.Memory.CreatedUtc, m.CreatedUtc);
            Assert.Equal(r3.Memory.UpdatedUtc, m.UpdatedUtc);
            Assert.Equal(DateTimeKind.Utc, m.CreatedUtc.Kind);
            Assert.True(m.UpdatedUtc >= m.CreatedUtc);
            Assert.Equal("main", m.Branch);
            Assert.Equal(Ns, m.Namespace);
            Assert.Equal(new[] { 1, 2, 3 }, History("k").Select(e => e.Version));
            // Untracked memories are versioned the same way.
            Put("session", "u", 1);
            Put("session", "u", 2);
            Assert.Equal(2, Reopen().Get("session", "u").Version);
        }

        [BackendFact]
        public void SameValue_IsANoOp_ButATypeChangeIsNot()
        {
            Put(Ns, "k", "c");
            var before = Reopen().Get(Ns, "k");
            var again = Put(Ns, "k", "c");
            Assert.False(again.Changed);
            Assert.Null(again.Entry);
            Assert.Equal(1, again.Memory.Version);
            var after = Reopen().Get(Ns, "k");
            Assert.Equal(before.UpdatedUtc, after.UpdatedUtc);
            Assert.Single(History("k"));

            Put(Ns, "m", new EngramMap { { "a", 1 }, { "b", 2 } });
            Assert.False(Put(Ns, "m", new EngramMap { { "b", 2 }, { "a", 1 } }).Changed);
            Put(Ns, "n", 1);
            Assert.True(Put(Ns, "n", 1L).Changed);
            Assert.True(Put(Ns, "n", "1").Changed);
            Assert.Equal(3, S.Get(Ns, "n").Version);
            Put("session", "u", "x");
            Assert.False(Put("session", "u", "x").Changed);
        }

        [BackendFact]
        public void KeysAreCaseSensitive_NamespacesAreNot()
        {
            var upper = Put(Ns, "Config", "upper");
            var lower = Put(Ns, "config", "lower");
            Assert.NotEqual(upper.Memory.Id, lower.Memory.Id);
            Assert.Equal("upper", S.Get(Ns, "Config").Value);
            Assert.Equal("lower", S.Get(Ns, "config").Value);
            Assert.Null(S.TryGet(Ns, "CONFIG"));
            Throws(EngramErrorIds.MemoryNotFound, () => S.Get(Ns, "CONFIG"));
            Assert.Equal(new[] { "Config", "config" }, S.ListKeys(Ns, null));

            Put("Project-X", "k", 1);
            var m = S.Get("PROJECT-x", "k");
            Assert.Equal("project-x", m.Namespace);
            Assert.Equal(new[] { "project-x", "shared" }, S.ListNamespaces());
        }

        [BackendFact]
        public void UnusualKeys_AreValid_AndRoundTrip()
        {
            var keys = new[]
            {
                "../x", "a/b", "a\\b", "CON", "nul.txt", "..", ".", "~", "_provenance", " lead", "trail ", "日本語", "😀", "x: y", "#x", "null", "42",
                "a%b", "'q'", "it's", "a\"b", "x;drop table memories;--", new string('L', Names.MaxKeyLength), string.Concat(Enumerable.Repeat("日", 100)),
            };
            foreach (var k in keys)
            {
                var r = Put(Ns, k, "value of " + k);
                Assert.Equal(k, r.Memory.Key);
                Assert.Equal("value of " + k, Reopen().Get(Ns, k).Value);
                Assert.False(Put(Ns, k, "value of " + k).Changed);
                var e = Assert.Single(History(k));
                Assert.Equal(k, e.Key);
                Assert.True(e.VerifyHash());
            }
            var sorted = keys.OrderBy(k => k, Names.KeyOrder).ToArray();
            Assert.Equal(sorted, S.ListKeys(Ns, null));
            var listed = S.List(Ns).ToList();
            Assert.Equal(keys.Length, listed.Count);
            Assert.All(listed, l => Assert.Equal(Ns, l.Namespace));
            var read = listed.Select(l => S.Read(l)).ToList();
            Assert.Equal(sorted, read.Select(m => m.Key).OrderBy(k => k, StringComparer.Ordinal));
            Assert.All(read, m => Assert.Equal("value of " + m.Key, m.Value));
        }

        [BackendFact]
        public void InvalidKeys_AreRefused_WithInvalidKey_AndNothingIsWritten()
        {
            S.Initialize();
            var bad = new[] { "", "a\nb", "tab\there", "nul\0", "bell\u0007", new string('k', Names.MaxKeyLength + 1), "\ud800x", "x\udc00" };
            foreach (var k in bad)
            {
                Throws(EngramErrorIds.InvalidKey, () => Put(Ns, k, 1));
                Throws(EngramErrorIds.InvalidKey, () => Put("session", k, 1));
                Throws(EngramErrorIds.InvalidKey, () => S.Get(Ns, k));
                Throws(EngramErrorIds.InvalidKey, () => S.TryGet(Ns, k));
                Throws(EngramErrorIds.InvalidKey, () => S.Remove(Ns, k, "tester"));
                Throws(EngramErrorIds.InvalidKey, () => S.GetProvenance(Ns, k).ToList());
            }
            var s = Reopen();
            Assert.Empty(s.ListNamespaces());
            Assert.All(s.GetNamespaces(), n => Assert.Equal(0, n.MemoryCount));
            Assert.Empty(s.List(Ns));
        }

        [BackendFact]
        public void InvalidAndReservedNamespaces_AreRefused_AndNothingIsWritten()
        {
            S.Initialize();
            var invalid = new[] { "", "a b", "-x", ".x", "x.", "con", "nul.x", "a/b", "a\\b", new string('n', Names.MaxNamespaceLength + 1), "ä", "x\n" };
            var reserved = new[] { "_provenance", "_x", "_branches" };
            foreach (var (names, id) in new[] { (invalid, EngramErrorIds.InvalidNamespace), (reserved, EngramErrorIds.ReservedNamespace) })
                foreach (var ns in names)
                {
                    Throws(id, () => Put(ns, "k", 1));
                    Throws(id, () => S.Get(ns, "k"));
                    Throws(id, () => S.TryGet(ns, "k"));
                    Throws(id, () => S.List(ns).ToList());
                    Throws(id, () => S.GetProvenance(ns, "k").ToList());
                    Throws(id, () => S.Fork(ns, "b", null, "tester"));
                }
            Assert.Empty(Reopen().ListNamespaces());
            foreach (var ok in new[] { "project-x", "a.b", "a_b", "9lives", new string('n', Names.MaxNamespaceLength) })
                Assert.True(Put(ok, "k", 1).Changed);
            Assert.Equal(5, Reopen().ListNamespaces().Count);
        }

        [BackendFact]
        public void InvalidActorActionOrConfidence_AreRefused_BeforeAnythingIsWritten()
        {
            S.Initialize();
            Throws(EngramErrorIds.InvalidActor, () => S.Set(new SetRequest(Ns, "k", 1) { Actor = "bad\nactor" }));
            Throws(EngramErrorIds.InvalidActor, () => S.Set(new SetRequest(Ns, "k", 1) { Actor = new string('a', 257) }));
            Throws(EngramErrorIds.InvalidAction, () => S.Set(new SetRequest(Ns, "k", 1) { Actor = "t", Action = "Bad Action" }));
            Throws(EngramErrorIds.InvalidAction, () => S.Set(new SetRequest(Ns, "k", 1) { Actor = "t", Action = "deleted" }));
            Throws(EngramErrorIds.InvalidAction, () => S.Set(new SetRequest(Ns, "k", 1) { Actor = "t", Action = "revised\n" }));
            Throws(EngramErrorIds.InvalidConfidence, () => S.Set(new SetRequest(Ns, "k", 1) { Actor = "t", Confidence = 1.5 }));
            Throws(EngramErrorIds.UnsupportedValueType, () => S.Set(new SetRequest(Ns, "k", new System.Text.StringBuilder("x")) { Actor = "t" }));
            Assert.Null(Reopen().TryGet(Ns, "k"));
            Assert.Empty(Reopen().ListNamespaces());

            var r = S.Set(new SetRequest(Ns, "k", 1) { Actor = "  padded  ", Action = "synthesized" });
            Assert.Equal("padded", r.Entry!.Actor);
            Assert.Equal("synthesized", Assert.Single(History("k")).Action);
        }

        // ================================================================== tracking

        [BackendFact]
        public void UntrackedNamespace_KeepsNoHistory_NoProvenance_MissingIsMemoryNotFound()
        {
            var r1 = Put("session", "k", 1);
            var r2 = Put("session", "k", 2);
            Assert.Null(r1.Entry);
            Assert.Null(r2.Entry);
            Assert.Equal(2, r2.Memory.Version);
            Assert.False(S.HasProvenance("session", "k"));
            var ex = Throws(EngramErrorIds.NoProvenance, () => S.GetProvenance("session", "k").ToList());
            Assert.Equal(EngramErrorKind.NotFound, ex.Kind);
            Throws(EngramErrorIds.MemoryNotFound, () => S.GetProvenance("session", "nope").ToList());
            Throws(EngramErrorIds.MemoryNotFound, () => S.GetProvenance(Ns, "nope").ToList());
            Assert.Equal(2, Reopen().Get("session", "k").Value);
        }

        [BackendFact]
        public void TrackProvenanceTrue_StartsHistory_AtTheVersionWhereTrackingBegan_AndItStaysTracked()
        {
            Put("session", "k", "v1");
            var r = Put("session", "k", "v2", track: true);
            Assert.NotNull(r.Entry);
            Assert.True(S.HasProvenance("session", "k"));
            var e = Assert.Single(History("k", "session"));
            Assert.Equal(2, e.Version);
            Assert.Equal(1, e.Seq);
            Assert.Equal("revised", e.Action);
            Assert.Null(e.PrevHash);
            Assert.Equal(r.Entry!.Hash, e.Hash);
            Assert.NotNull(Put("session", "k", "v3").Entry); // tracked without asking from now on
            AssertChain(History("k", "session"));

            var created = Put("project-x", "k", 1, track: true);
            Assert.Equal("created", created.Entry!.Action);
            Assert.Equal(1, created.Entry.Version);
        }

    }
}
