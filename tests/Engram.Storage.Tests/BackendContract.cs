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
            var sorted = keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
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

        [BackendFact]
        public void TrackProvenanceTrue_WithAnUnchangedValue_RecordsTheCurrentStateAsATrackedEntry()
        {
            Put("session", "k", "v1", tags: new[] { "t" });
            var r = Put("session", "k", "v1", track: true);
            Assert.False(r.Changed);
            Assert.Equal(ProvenanceActions.Tracked, r.Entry!.Action);
            Assert.Equal(1, r.Memory.Version);
            var e = Assert.Single(History("k", "session"));
            Assert.Equal(ProvenanceActions.Tracked, e.Action);
            Assert.Equal(1, e.Version);
            Assert.Equal("v1", e.Value);
            Assert.Equal(r.Entry.Hash, e.Hash);
            var again = Put("session", "k", "v1", track: true);
            Assert.False(again.Changed);
            Assert.Null(again.Entry);
            Assert.Single(History("k", "session"));
            Assert.Equal(1, S.Get("session", "k").Version);
        }

        [BackendFact]
        public void TrackProvenanceFalse_OnATrackedMemory_IsProvenanceRequired_AndChangesNothing()
        {
            Put(Ns, "k", "v1");
            var ex = Throws(EngramErrorIds.ProvenanceRequired, () => Put(Ns, "k", "v2", track: false));
            Assert.Equal(EngramErrorKind.InvalidOperation, ex.Kind);
            Throws(EngramErrorIds.ProvenanceRequired, () => Put(Ns, "k", "v1", track: false)); // even a no-op
            Assert.Equal("v1", Reopen().Get(Ns, "k").Value);
            Assert.Equal(1, Reopen().Get(Ns, "k").Version);
            Assert.Single(History("k"));

            // Provenance-only requests (sources, action, confidence) cannot be untracked either.
            Throws(EngramErrorIds.ProvenanceRequired, () => S.Set(new SetRequest("session", "x", 1) { Confidence = 0.5, TrackProvenance = false, Actor = "t" }));
            Throws(EngramErrorIds.ProvenanceRequired, () => S.Set(new SetRequest("session", "x", 1) { Action = "synthesized", TrackProvenance = false, Actor = "t" }));
            Assert.Null(Reopen().TryGet("session", "x"));
        }

        [BackendFact]
        public void TrackProvenanceFalse_OnATrackedNamespace_WritesNoHistory_UntilAPlainWriteStartsIt()
        {
            var r = Put(Ns, "k", 1, track: false);
            Assert.Null(r.Entry);
            Assert.False(S.HasProvenance(Ns, "k"));
            Throws(EngramErrorIds.NoProvenance, () => S.GetProvenance(Ns, "k").ToList());
            // The namespace's policy applies again to the next write that does not say.
            var next = Put(Ns, "k", 2);
            Assert.Equal(2, next.Entry!.Version);
            Assert.Equal("revised", next.Entry.Action);
            Assert.Single(History("k"));
        }

        // ================================================================== remove

        [BackendFact]
        public void Remove_Untracked_DeletesIt_AndReCreationIsANewMemory()
        {
            var id = Put("session", "k", 1).Memory.Id;
            Put("session", "k", 2);
            Assert.Null(S.Remove("session", "k", "tester"));
            Assert.Null(S.TryGet("session", "k"));
            Assert.Null(Reopen().TryGet("session", "k"));
            Throws(EngramErrorIds.MemoryNotFound, () => S.Get("session", "k"));
            Assert.False(S.HasProvenance("session", "k"));
            Assert.Empty(S.ListKeys("session", null));
            var again = Put("session", "k", 3);
            Assert.Equal(1, again.Memory.Version);
            Assert.NotEqual(id, again.Memory.Id);
        }

        [BackendFact]
        public void Remove_Tracked_AppendsADeletedEntry_KeepsHistory_AndReCreationContinuesIdAndVersions()
        {
            var id = Put(Ns, "k", "a").Memory.Id;
            Put(Ns, "k", "b");
            var del = S.Remove(Ns, "k", "remover", "cleanup");
            Assert.NotNull(del);
            Assert.Equal(ProvenanceActions.Deleted, del!.Action);
            Assert.Equal(2, del.Version);
            Assert.Equal(3, del.Seq);
            Assert.Equal("remover", del.Actor);
            Assert.Equal("cleanup", del.Reason);
            Assert.Null(del.ContentHash);
            Assert.Equal(id, del.MemoryId);
            Assert.Null(Reopen().TryGet(Ns, "k"));
            Assert.True(S.HasProvenance(Ns, "k"));
            Assert.Empty(S.ListKeys(Ns, null));

            var hist = History("k");
            Assert.Equal(new[] { "created", "revised", "deleted" }, hist.Select(e => e.Action));
            Assert.False(hist[2].HasValue);
            Assert.Equal(del.Hash, hist[2].Hash);
            AssertChain(hist);

            var again = Put(Ns, "k", "c");
            Assert.Equal(id, again.Memory.Id);
            Assert.Equal(3, again.Memory.Version);
            Assert.Equal(ProvenanceActions.Created, again.Entry!.Action);
            hist = History("k");
            Assert.Equal(new[] { "created", "revised", "deleted", "created" }, hist.Select(e => e.Action));
            Assert.Equal(new[] { 1, 2, 2, 3 }, hist.Select(e => e.Version));
            Assert.All(hist, e => Assert.Equal(id, e.MemoryId));
            AssertChain(hist);
            Throws(EngramErrorIds.ProvenanceRequired, () => Put(Ns, "k", "d", track: false));
        }

        [BackendFact]
        public void Remove_Missing_IsMemoryNotFound()
        {
            Put(Ns, "other", 1);
            Throws(EngramErrorIds.MemoryNotFound, () => S.Remove(Ns, "nope", "tester"));
            Throws(EngramErrorIds.MemoryNotFound, () => S.Remove("session", "nope", "tester"));
            Assert.Single(History("other"));
            S.Remove(Ns, "other", "tester");
            Throws(EngramErrorIds.MemoryNotFound, () => S.Remove(Ns, "other", "tester"));
            Assert.Equal(2, History("other").Count);
        }

        // ================================================================== provenance reads

        private static readonly object?[] HistoryValues =
        {
            "first", 2, new EngramMap(MapKind.Ordered) { { "b", 1L }, { "a", new object?[] { 1.5, null } } }, "multi\nline\n", null,
        };

        private void WriteHistory(string key = "k")
        {
            for (int i = 0; i < HistoryValues.Length; i++)
                Put(Ns, key, HistoryValues[i], actor: "actor" + i, reason: i % 2 == 0 ? "reason " + i : null);
        }

        [BackendFact]
        public void History_IsOldestFirst_WithEveryField_AndTheChainVerifies()
        {
            var start = DateTime.UtcNow.AddSeconds(-1);
            WriteHistory();
            S.Remove(Ns, "k", "remover", "gone");
            var end = DateTime.UtcNow.AddSeconds(1);

            var hist = Reopen().GetProvenance(Ns, "k").ToList();
            Assert.Equal(HistoryValues.Length + 1, hist.Count);
            var id = hist[0].MemoryId;
            for (int i = 0; i < hist.Count; i++)
            {
                var e = hist[i];
                Assert.Equal(i + 1, e.Seq);
                Assert.Equal(ProvenanceEntry.BaseSchema, e.Schema);
                Assert.Equal(id, e.MemoryId);
                Assert.Equal(Ns, e.Namespace);
                Assert.Equal("k", e.Key);
                Assert.Equal("main", e.Branch);
                Assert.InRange(e.TimestampUtc, start, end);
                Assert.Equal(DateTimeKind.Utc, e.TimestampUtc.Kind);
                Assert.Null(e.Details);
                if (i > 0) Assert.True(e.TimestampUtc >= hist[i - 1].TimestampUtc);
                if (i < HistoryValues.Length)
                {
                    Assert.Equal(i + 1, e.Version);
                    Assert.Equal(i == 0 ? "created" : "revised", e.Action);
                    Assert.Equal("actor" + i, e.Actor);
                    Assert.Equal(i % 2 == 0 ? "reason " + i : null, e.Reason);
                    Assert.Equal(ValueCodec.ContentHash(HistoryValues[i]), e.ContentHash);
                    Assert.True(e.HasValue);
                    AssertSameValue(HistoryValues[i], e.Value, "entry " + e.Seq);
                }
                else
                {
                    Assert.Equal("deleted", e.Action);
                    Assert.Equal(HistoryValues.Length, e.Version);
                    Assert.Equal("remover", e.Actor);
                    Assert.Equal("gone", e.Reason);
                    Assert.False(e.HasValue);
                    Assert.Null(e.ContentHash);
                }
            }
            AssertChain(hist);
        }

        [BackendFact]
        public void SetResultEntry_IsExactlyWhatIsReadBack()
        {
            var r = Put(Ns, "k", new EngramMap { { "x", 1 } }, reason: "why");
            var e = Assert.Single(Reopen().GetProvenance(Ns, "k"));
            Assert.Equal(r.Entry!.Hash, e.Hash);
            Assert.Equal(r.Entry.Seq, e.Seq);
            Assert.Equal(r.Entry.TimestampUtc, e.TimestampUtc);
            Assert.Equal(r.Entry.Actor, e.Actor);
            Assert.Equal(r.Memory.Id, e.MemoryId);
            Assert.Equal(r.Memory.ContentHash, e.ContentHash);
            Assert.True(e.VerifyHash());
        }

        [BackendFact]
        public void History_Last_ReturnsTheNewestEntriesInOrder_AndIncludeValuesFalseDropsOnlyValues()
        {
            WriteHistory();
            var all = History("k");
            var last2 = S.GetProvenance(Ns, "k", last: 2).ToList();
            Assert.Equal(new long[] { HistoryValues.Length - 1, HistoryValues.Length }, last2.Select(e => e.Seq));
            Assert.Equal(all.Skip(HistoryValues.Length - 2).Select(e => e.Hash), last2.Select(e => e.Hash));
            AssertSameValue(HistoryValues[HistoryValues.Length - 2], last2[0].Value);
            Assert.Equal(HistoryValues.Length, S.GetProvenance(Ns, "k", last: 100).Count());
            Assert.Empty(S.GetProvenance(Ns, "k", last: 0));
            Assert.Equal(all.Last().Hash, S.GetProvenance(Ns, "k", last: 1).Single().Hash);

            var bare = S.GetProvenance(Ns, "k", includeValues: false).ToList();
            Assert.Equal(all.Select(e => e.Hash), bare.Select(e => e.Hash));
            Assert.All(bare, e => { Assert.False(e.HasValue); Assert.Null(e.Value); Assert.NotNull(e.ContentHash); });
            AssertChain(bare);
        }

        [BackendFact]
        public void History_BranchFilter_MainABranchOrEverything()
        {
            Put(Ns, "a", 1);
            S.Fork(Ns, "feat", null, "forker");
            Put(Ns, "a", 10, branch: "feat");
            Put(Ns, "a", 2);
            string Show(IEnumerable<ProvenanceEntry> es) => string.Join(",", es.Select(e => e.Action + "@" + e.Branch + "v" + e.Version));
            Assert.Equal("created@mainv1,forked@featv1,revised@featv2,revised@mainv2", Show(History("a")));
            Assert.Equal(Show(History("a")), Show(History("a", branch: "*")));
            Assert.Equal("created@mainv1,revised@mainv2", Show(History("a", branch: "main")));
            Assert.Equal("forked@featv1,revised@featv2", Show(History("a", branch: "feat")));
            Assert.Equal("revised@featv2", Show(S.GetProvenance(Ns, "a", last: 1, branch: "feat")));
            AssertChain(History("a"));
            var forked = History("a", branch: "feat")[0];
            Assert.Equal("main", Detail(forked, "from"));
            Assert.Equal("1", Detail(forked, "fromVersion"));
            Assert.Equal("tester", forked.Actor); // a namespace fork records nothing; the branch's first write does
        }

        [BackendFact]
        public void GetVersion_ReturnsEarlierValues_AndRestoreWritesThemAsANewVersion()
        {
            Put(Ns, "k", "one");
            Put(Ns, "k", "two");
            Put(Ns, "k", "three");
            var v1 = S.GetVersion(Ns, "k", 1);
            Assert.Equal("one", v1.Value);
            Assert.Equal("created", v1.Action);
            Assert.Equal("two", S.GetVersion(Ns, "k", 2).Value);
            Throws(EngramErrorIds.VersionNotFound, () => S.GetVersion(Ns, "k", 9));

            var r = S.Restore(Ns, "k", 1, "restorer", "roll back");
            Assert.True(r.Changed);
            Assert.Equal(4, r.Memory.Version);
            Assert.Equal("one", Reopen().Get(Ns, "k").Value);
            var e = History("k").Last();
            Assert.Equal("restored", e.Action);
            Assert.Equal("restorer", e.Actor);
            Assert.Equal("1", Detail(e, "restoredFrom"));
            Assert.Equal(r.Entry!.Hash, e.Hash);
            Assert.False(S.Restore(Ns, "k", 1).Changed);
            Throws(EngramErrorIds.VersionNotFound, () => S.Restore(Ns, "k", 9));
            Assert.Equal(4, S.Get(Ns, "k").Version);

            // On a branch, versions before the fork come from main.
            S.Fork(Ns, "feat", null, "tester");
            Put(Ns, "k", "branch value", branch: "feat");
            Assert.Equal("branch value", S.GetVersion(Ns, "k", 5, "feat").Value);
            Assert.Equal("two", S.GetVersion(Ns, "k", 2, "feat").Value);
            Throws(EngramErrorIds.VersionNotFound, () => S.GetVersion(Ns, "k", 5));

            // Untracked: only the current version is known.
            Put("session", "u", "a");
            Put("session", "u", "b");
            Assert.Equal("b", S.GetVersion("session", "u", 2).Value);
            Throws(EngramErrorIds.VersionNotFound, () => S.GetVersion("session", "u", 1));
            AssertHealthy(S.Verify());
        }

        // ================================================================== listing

        [BackendFact]
        public void Namespaces_AreListedWithCountsAndPolicy()
        {
            Put(Ns, "a", 1);
            Put(Ns, "b", 1);
            Put("project-x", "a", 1);
            Put("session", "s", 1);
            var s = Reopen();
            Assert.Equal(new[] { "project-x", "session", "shared" }, s.ListNamespaces());
            var infos = s.GetNamespaces();
            Assert.Equal(infos.Select(i => i.Name).OrderBy(n => n, StringComparer.Ordinal), infos.Select(i => i.Name));
            foreach (var std in Names.StandardNamespaces) Assert.Contains(infos, i => i.Name == std);
            Assert.DoesNotContain(infos, i => i.Name.StartsWith('_'));
            var shared = infos.Single(i => i.Name == "shared");
            Assert.Equal(2, shared.MemoryCount);
            Assert.True(shared.Tracked && shared.IsStandard && shared.Exists);
            var px = infos.Single(i => i.Name == "project-x");
            Assert.Equal(1, px.MemoryCount);
            Assert.False(px.Tracked || px.IsStandard);
            Assert.True(px.Exists);
            var thinking = infos.Single(i => i.Name == "thinking");
            Assert.False(thinking.Exists);
            Assert.Equal(0, thinking.MemoryCount);
        }

        [BackendFact]
        public void List_Read_AndListKeys_AreSortedByKey()
        {
            Put(Ns, "b", 2);
            Put(Ns, "a", 1, tags: new[] { "t" });
            Put(Ns, "c", 3, track: false);
            var listed = Reopen().List(Ns).ToList();
            var read = listed.Select(l => S.Read(l)).ToList();
            Assert.Equal(new[] { "a", "b", "c" }, read.Select(m => m.Key));
            Assert.Equal(new object[] { 1, 2, 3 }, read.Select(m => m.Value!));
            Assert.Equal(new[] { "t" }, read[0].Tags);
            Assert.All(listed.Where(l => l.Key != null), l => Assert.Equal(l.Key, S.Read(l).Key));
            Assert.Equal(new[] { "a", "b", "c" }, S.ListKeys(Ns, null));
            Assert.Equal(new[] { "a", "b", "c" }, S.ListKeys(Ns, "main"));
            Assert.Empty(S.List("projects"));
            Assert.Empty(S.ListKeys("projects", null));
            Assert.Equal(1, S.TryGet(Ns, "a", "main")!.Value);
            Assert.Equal(1, S.TryGet(Ns, "a", null)!.Value);
        }

        // ================================================================== branches

        [BackendFact]
        public void NamespaceFork_CopiesNothing_AndTheBranchSeesMain()
        {
            Put(Ns, "a", 1);
            Put(Ns, "b", 2);
            var head = S.GetHead(Ns).Digest;

            var record = S.Fork(Ns, "feat", null, "forker", "try things");

            Assert.Equal("feat", record.Name);
            Assert.Equal(Ns, record.Namespace);
            Assert.Null(record.Keys);
            Assert.Equal("main", record.Parent);
            Assert.Equal("forker", record.Actor);
            Assert.Equal("try things", record.Reason);
            Assert.Equal(head, S.GetHead(Ns).Digest); // no history entry
            var stored = Reopen().TryGetBranch(Ns, "feat")!;
            Assert.Equal(record.CreatedUtc, stored.CreatedUtc);
            Assert.Equal("forker", stored.Actor);
            Assert.Null(stored.Keys);
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(1, On("feat", "a"));
            Assert.Equal("feat", S.TryGet(Ns, "a", "feat")!.Branch);
            Assert.Equal(new[] { "a", "b" }, S.ListKeys(Ns, "feat"));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void WritesOnABranch_AreInvisibleOnMain()
        {
            Put(Ns, "a", 1);
            Put(Ns, "b", 2);
            S.Fork(Ns, "feat", null, "tester");

            var r = Put(Ns, "a", 10, branch: "feat");
            Assert.True(r.Changed);
            Assert.Equal(2, r.Memory.Version);
            Assert.Equal("feat", r.Memory.Branch);
            Assert.Equal("revised", r.Entry!.Action);
            Assert.Equal("feat", r.Entry.Branch);
            var del = S.Remove(Ns, "b", "tester", "gone on feat", "feat");
            Assert.Equal("deleted", del!.Action);
            Assert.Equal("feat", del.Branch);
            var created = Put(Ns, "n", 100, branch: "feat");
            Assert.Equal(1, created.Memory.Version);
            Assert.Equal("created", created.Entry!.Action);
            Assert.False(Put(Ns, "a", 10, branch: "feat").Changed);

            var s = Reopen();
            Assert.Equal(1, s.TryGet(Ns, "a")!.Value);
            Assert.Equal(1, s.TryGet(Ns, "a")!.Version);
            Assert.Equal(2, s.TryGet(Ns, "b")!.Value);
            Assert.Null(s.TryGet(Ns, "n"));
            Assert.Equal(new[] { "a", "b" }, s.ListKeys(Ns, null));
            Assert.Equal(10, s.TryGet(Ns, "a", "feat")!.Value);
            Assert.Null(s.TryGet(Ns, "b", "feat"));
            Assert.Equal(100, s.TryGet(Ns, "n", "feat")!.Value);
            Assert.Equal(new[] { "a", "n" }, s.ListKeys(Ns, "feat"));
            Assert.Equal(3, Info("feat").ChangedCount);
            Throws(EngramErrorIds.MemoryNotFound, () => S.Remove(Ns, "b", "tester", null, "feat"));
            Assert.Equal(new[] { "created@main", "forked@feat", "revised@feat" }, History("a").Select(e => e.Action + "@" + e.Branch));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void WritesOnMainAfterTheFork_AreInvisibleOnTheBranch()
        {
            Put(Ns, "a", 1);
            Put(Ns, "b", 2);
            Put(Ns, "c", 3);
            S.Fork(Ns, "feat", null, "tester");
            Put(Ns, "a", 2);
            S.Remove(Ns, "b", "tester");
            Put(Ns, "x", 9);
            Put(Ns, "a", 3);

            var s = Reopen();
            Assert.Equal(1, s.TryGet(Ns, "a", "feat")!.Value);
            Assert.Equal(1, s.TryGet(Ns, "a", "feat")!.Version);
            Assert.Equal(2, s.TryGet(Ns, "b", "feat")!.Value);
            Assert.Null(s.TryGet(Ns, "x", "feat"));
            Assert.Equal(3, s.TryGet(Ns, "c", "feat")!.Value);
            Assert.Equal(new[] { "a", "b", "c" }, s.ListKeys(Ns, "feat"));
            Assert.Equal(new[] { "a", "c", "x" }, s.ListKeys(Ns, null));
            Assert.Equal(0, Info("feat").ChangedCount);

            S.Fork(Ns, "late", null, "tester");
            Assert.Equal(3, On("late", "a"));
            Assert.Equal(9, On("late", "x"));
            Assert.Null(S.TryGet(Ns, "b", "late"));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void KeyFork_RecordsAForkedEntry_AndRefusesOtherKeys()
        {
            Put(Ns, "a", 1);
            Put(Ns, "b", 2);
            Put(Ns, "a", 11);
            var record = S.Fork(Ns, "kf", new[] { "a" }, "forker", "only a");
            Assert.Equal(new[] { "a" }, record.Keys);
            Assert.Equal(new[] { "a" }, Reopen().TryGetBranch(Ns, "kf")!.Keys);
            var forked = History("a").Last();
            Assert.Equal(ProvenanceActions.Forked, forked.Action);
            Assert.Equal("kf", forked.Branch);
            Assert.Equal(2, forked.Version);
            Assert.Equal("forker", forked.Actor);
            Assert.Equal("only a", forked.Reason);
            Assert.Equal("main", Detail(forked, "from"));
            Assert.Equal("2", Detail(forked, "fromVersion"));

            Assert.Null(S.TryGet(Ns, "b", "kf"));
            Throws(EngramErrorIds.KeyNotInBranch, () => Put(Ns, "b", 20, branch: "kf"));
            Throws(EngramErrorIds.KeyNotInBranch, () => S.Remove(Ns, "b", "tester", null, "kf"));
            Assert.Equal(2, Main("b"));
            Assert.Single(History("b"));
            Assert.Equal(new[] { "a" }, S.ListKeys(Ns, "kf"));
            Assert.Equal(3, Put(Ns, "a", 12, branch: "kf").Memory.Version);
            Assert.Equal(11, Main("a"));
            Assert.Equal(12, On("kf", "a"));

            Throws(EngramErrorIds.MemoryNotFound, () => S.Fork(Ns, "missing", new[] { "a", "nope" }, "tester"));
            Assert.Null(S.TryGetBranch(Ns, "missing"));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void BranchErrors_AlreadyExists_NotFound_InvalidName()
        {
            Put(Ns, "a", 1);
            var rec = S.Fork(Ns, "Feat", null, "tester");
            Assert.Equal("feat", rec.Name);
            Throws(EngramErrorIds.BranchAlreadyExists, () => S.Fork(Ns, "feat", null, "tester"));
            Throws(EngramErrorIds.InvalidBranch, () => S.Fork(Ns, "main", null, "tester"));
            Throws(EngramErrorIds.InvalidBranch, () => S.Fork(Ns, "bad name", null, "tester"));
            Throws(EngramErrorIds.InvalidBranch, () => S.Fork(Ns, "feat2\n", null, "tester"));
            Throws(EngramErrorIds.BranchNotFound, () => Put(Ns, "a", 2, branch: "nope"));
            Throws(EngramErrorIds.BranchNotFound, () => S.TryGet(Ns, "a", "nope"));
            Throws(EngramErrorIds.BranchNotFound, () => S.ListKeys(Ns, "nope"));
            Throws(EngramErrorIds.BranchNotFound, () => S.Remove(Ns, "a", "tester", null, "nope"));
            Throws(EngramErrorIds.BranchNotFound, () => S.PlanMerge(Ns, "nope"));
            Throws(EngramErrorIds.BranchNotFound, () => S.Merge(Ns, "nope", MergeStrategy.Fail, "tester"));
            Throws(EngramErrorIds.BranchNotFound, () => S.RemoveBranch(Ns, "nope"));
            S.Fork("projects", "x", null, "tester");
            Throws(EngramErrorIds.BranchNotFound, () => S.RemoveBranch(Ns, "x")); // a branch belongs to its namespace
            Throws(EngramErrorIds.BranchNotFound, () => Put(Ns, "a", 2, branch: "x"));
            Assert.Null(S.TryGetBranch(Ns, "nope"));
            Assert.Equal(1, Main("a"));
            Assert.Single(History("a"));
        }

        [BackendFact]
        public void GetBranches_ListsEveryNamespace_WithChangedCounts()
        {
            Put(Ns, "a", 1);
            Put("projects", "p", 1);
            S.Fork(Ns, "f1", null, "tester");
            S.Fork("projects", "f2", null, "tester");
            Put("projects", "p", 2, branch: "f2");
            Put("projects", "q", 1, branch: "f2");
            var all = Reopen().GetBranches();
            Assert.Equal(new[] { "projects@f2", "shared@f1" }, all.Select(b => b.Record.Namespace + "@" + b.Record.Name).OrderBy(x => x, StringComparer.Ordinal));
            Assert.Equal(2, all.Single(b => b.Record.Name == "f2").ChangedCount);
            Assert.Equal(0, all.Single(b => b.Record.Name == "f1").ChangedCount);
            Assert.Equal(new[] { "f1" }, S.GetBranches(Ns).Select(b => b.Record.Name));
            Assert.Empty(S.GetBranches("longterm"));
            Assert.False(S.HasProvenance("projects", "p")); // untracked stays untracked on a branch
        }

        // ================================================================== merge

        [BackendFact]
        public void Merge_Clean_TakesTheBranch_WithMergedEntries_AndCatchesTheBranchUp()
        {
            Put(Ns, "a", 1);
            Put(Ns, "b", 2);
            S.Fork(Ns, "feat", null, "tester");
            Put(Ns, "a", 10, branch: "feat");
            Put(Ns, "n", 5, branch: "feat");
            S.Remove(Ns, "b", "tester", null, "feat");

            var plan = S.PlanMerge(Ns, "feat");
            Assert.False(plan.Applied);
            Assert.Equal(new[] { "a:Merged", "b:Merged", "n:Merged" }, plan.Items.Select(i => i.Key + ":" + i.Outcome).OrderBy(x => x, StringComparer.Ordinal));
            Assert.Equal(1, Main("a"));
            Assert.Equal(3, Info("feat").ChangedCount);

            var result = S.Merge(Ns, "feat", MergeStrategy.Fail, "merger", "ship it");
            Assert.True(result.Applied);
            Assert.Equal(3, result.Merged.Count());
            Assert.Empty(result.Conflicts);

            var s = Reopen();
            Assert.Equal(10, s.TryGet(Ns, "a")!.Value);
            Assert.Equal(2, s.TryGet(Ns, "a")!.Version);
            Assert.Null(s.TryGet(Ns, "b"));
            Assert.Equal(5, s.TryGet(Ns, "n")!.Value);
            Assert.Equal(new[] { "a", "n" }, s.ListKeys(Ns, null));

            var merged = History("a").Last();
            Assert.Equal(ProvenanceActions.Merged, merged.Action);
            Assert.Equal("main", merged.Branch);
            Assert.Equal(2, merged.Version);
            Assert.Equal("merger", merged.Actor);
            Assert.Equal("ship it", merged.Reason);
            Assert.Equal("feat", Detail(merged, "from"));
            Assert.Equal("1", Detail(merged, "oursVersion"));
            Assert.Equal("2", Detail(merged, "theirsVersion"));
            Assert.Equal("1", Detail(merged, "baseVersion"));
            Assert.Equal(10, merged.Value);
            Assert.Equal("deleted@main", History("b").Last().Action + "@" + History("b").Last().Branch);
            Assert.Equal("merged@main", History("n").Last().Action + "@" + History("n").Last().Branch);

            Assert.NotNull(s.TryGetBranch(Ns, "feat"));
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(10, On("feat", "a"));
            Assert.Empty(S.PlanMerge(Ns, "feat").Items);
            AssertHealthy(S.Verify());
        }

        /// <summary>main a=1 b=2; feat: a=10; main: a=20 (conflict on a); feat: b=30 (clean).</summary>
        private void Conflicting()
        {
            Put(Ns, "a", 1);
            Put(Ns, "b", 2);
            S.Fork(Ns, "feat", null, "tester");
            Put(Ns, "a", 10, branch: "feat");
            Put(Ns, "b", 30, branch: "feat");
            Put(Ns, "a", 20);
        }

        [BackendFact]
        public void Merge_ConflictWithFail_ThrowsWithThePlan_AndChangesNothing()
        {
            Conflicting();
            var head = S.GetHead(Ns).Digest;

            var ex = Assert.Throws<MergeConflictException>(() => S.Merge(Ns, "feat", MergeStrategy.Fail, "m"));

            Assert.Equal(EngramErrorIds.MergeConflict, ex.ErrorId);
            Assert.False(ex.Plan.Applied);
            var c = Assert.Single(ex.Plan.Conflicts);
            Assert.Equal("a", c.Key);
            Assert.Equal(1, c.Base!.Value);
            Assert.Equal(20, c.Ours!.Value);
            Assert.Equal(10, c.Theirs!.Value);
            Assert.Null(c.Resolution);
            Assert.Equal(MergeOutcome.Merged, ex.Plan.Items.Single(i => i.Key == "b").Outcome);

            var s = Reopen();
            Assert.Equal(head, s.GetHead(Ns).Digest);
            Assert.Equal(20, s.TryGet(Ns, "a")!.Value);
            Assert.Equal(2, s.TryGet(Ns, "b")!.Value);
            Assert.Equal(10, s.TryGet(Ns, "a", "feat")!.Value);
            Assert.Equal(30, s.TryGet(Ns, "b", "feat")!.Value);
            Assert.Equal(2, Info("feat").ChangedCount);
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void Merge_ConflictWithOurs_KeepsMain()
        {
            Conflicting();
            var count = History("a").Count;
            var result = S.Merge(Ns, "feat", MergeStrategy.Ours, "m");
            Assert.Equal("ours", Assert.Single(result.Conflicts).Resolution);
            Assert.Equal(20, Main("a"));
            Assert.Equal(2, S.TryGet(Ns, "a")!.Version);
            Assert.Equal(count, History("a").Count);
            Assert.Equal(30, Main("b"));
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(20, On("feat", "a"));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void Merge_ConflictWithTheirs_TakesTheBranch()
        {
            Conflicting();
            var result = S.Merge(Ns, "feat", MergeStrategy.Theirs, "m");
            Assert.Equal("theirs", Assert.Single(result.Conflicts).Resolution);
            var a = Reopen().TryGet(Ns, "a")!;
            Assert.Equal(10, a.Value);
            Assert.Equal(3, a.Version);
            var merged = History("a").Last();
            Assert.Equal(ProvenanceActions.Merged, merged.Action);
            Assert.Equal("2", Detail(merged, "oursVersion"));
            Assert.Equal("2", Detail(merged, "theirsVersion"));
            Assert.Equal("1", Detail(merged, "baseVersion"));
            Assert.Equal(30, Main("b"));
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(10, On("feat", "a"));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void Merge_ConflictWithConflictBranch_MergesTheCleanOnes_AndParksTheIncomingVersion()
        {
            Conflicting();
            var result = S.Merge(Ns, "feat", MergeStrategy.ConflictBranch, "m", "partial");
            Assert.Equal(30, Main("b"));
            Assert.Equal(20, Main("a"));
            var name = Assert.Single(result.ConflictBranches);
            Assert.StartsWith("feat-conflict-", name);
            Assert.Equal("conflict-branch:" + name, Assert.Single(result.Conflicts).Resolution);

            var info = Info(name);
            Assert.Equal(new[] { "a" }, info.Record.Keys);
            Assert.Equal(1, info.ChangedCount);
            Assert.Equal(10, On(name, "a"));
            var forked = History("a").Last();
            Assert.Equal(ProvenanceActions.Forked, forked.Action);
            Assert.Equal(name, forked.Branch);
            Assert.Equal("feat", Detail(forked, "conflictWith"));
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(20, On("feat", "a"));
            AssertHealthy(S.Verify());

            var later = S.Merge(Ns, name, MergeStrategy.Fail, "m", "resolve");
            Assert.Equal(MergeOutcome.Merged, Assert.Single(later.Items).Outcome);
            Assert.Equal(10, Main("a"));
            Assert.Equal(3, S.TryGet(Ns, "a")!.Version);
            Assert.Equal(name, Detail(History("a").Last(), "from"));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void RemoveBranch_DropsItsChanges_KeepsHistories_AndTheNameCanBeReused()
        {
            Put(Ns, "a", 1);
            S.Fork(Ns, "feat", null, "tester");
            Put(Ns, "a", 10, branch: "feat");
            Put(Ns, "n", 1, branch: "feat");
            var info = S.RemoveBranch(Ns, "feat");
            Assert.Equal("feat", info.Record.Name);
            Assert.Equal(2, info.ChangedCount);

            var s = Reopen();
            Assert.Null(s.TryGetBranch(Ns, "feat"));
            Assert.Empty(s.GetBranches(Ns));
            Throws(EngramErrorIds.BranchNotFound, () => s.TryGet(Ns, "a", "feat"));
            Throws(EngramErrorIds.BranchNotFound, () => s.RemoveBranch(Ns, "feat"));
            Assert.Equal(1, s.TryGet(Ns, "a")!.Value);
            Assert.Null(s.TryGet(Ns, "n"));
            Assert.Equal(new[] { "created@main", "forked@feat", "revised@feat" }, History("a").Select(e => e.Action + "@" + e.Branch));
            AssertHealthy(s.Verify());

            S.Fork(Ns, "feat", null, "tester");
            Assert.Equal(1, On("feat", "a"));
            Assert.Null(S.TryGet(Ns, "n", "feat"));
            Assert.Equal(0, Info("feat").ChangedCount);
        }

        // ================================================================== integrity

        /// <summary>Tracked and untracked writes, deletes, a re-creation, branches, merges, a restore, sources and a connection.</summary>
        protected static void MixedWorkload(IEngramStore s)
        {
            Put(s, Ns, "cfg", new EngramMap(MapKind.Ordered) { { "port", 80 }, { "hosts", new object?[] { "a", "b" } } }, tags: new[] { "infra" });
            Put(s, Ns, "cfg", new EngramMap(MapKind.Ordered) { { "port", 8080 }, { "hosts", new object?[] { "a" } } });
            Put(s, Ns, "gone", "soon gone");
            s.Remove(Ns, "gone", "tester", "obsolete");
            Put(s, Ns, "back", 1);
            s.Remove(Ns, "back", "tester");
            Put(s, Ns, "back", 2);
            Put(s, "session", "note", "untracked", tags: new[] { "t" });
            Put(s, "session", "bytes", new byte[] { 1, 2, 3 });
            Put(s, "thinking", "obs", "builds are slow on mondays");
            s.Set(new SetRequest("longterm", "insight", "cache purges slow the build")
            {
                Action = "synthesized", DerivedFrom = new[] { MemoryRef.Parse("thinking/obs") }, Confidence = 0.8, Actor = "agent", Reason = "pattern",
            });
            s.Connect(MemoryRef.Parse("longterm/insight"), MemoryRef.Parse("shared/cfg"), "agent", "related");
            s.Fork(Ns, "feat", null, "tester", "experiment");
            Put(s, Ns, "cfg", "replaced on feat", branch: "feat");
            Put(s, Ns, "only-on-feat", 1, branch: "feat");
            s.Remove(Ns, "back", "tester", null, "feat");
            Put(s, Ns, "cfg", "main moved on");
            s.Fork(Ns, "kf", new[] { "back" }, "tester", null);
            Put(s, Ns, "back", 3, branch: "kf");
            s.Fork(Ns, "clash", null, "tester");
            Put(s, Ns, "back", 30, branch: "clash");
            Put(s, Ns, "back", 31);
            s.Merge(Ns, "clash", MergeStrategy.ConflictBranch, "merger");
            s.Restore(Ns, "back", 2, "tester", "undo");
            Put(s, "projects", "p", 1);
            s.Fork("projects", "pf", null, "tester");
            Put(s, "projects", "p", 2, branch: "pf");
        }

        [BackendFact]
        public void Verify_IsHealthy_AfterAMixedWorkload_AndEveryChainVerifies()
        {
            MixedWorkload(S);
            var progress = new List<(int done, int total)>();
            var report = Reopen().Verify(false, (done, total, what) => progress.Add((done, total)));
            AssertHealthy(report);
            Assert.Empty(report.Findings);
            Assert.True(report.MemoriesChecked >= 7, "memories checked: " + report.MemoriesChecked);
            Assert.True(report.HistoriesChecked >= 5, "histories checked: " + report.HistoriesChecked);
            Assert.True(report.EntriesChecked >= 20, "entries checked: " + report.EntriesChecked);
            Assert.NotEmpty(progress);
            Assert.Equal(progress.Last().total, progress.Last().done);
            foreach (var ns in new[] { Ns, "longterm", "thinking", "session", "projects" })
                AssertHealthy(S.VerifyProvenance(ns));
            int histories = 0;
            foreach (var h in S.Export().Histories) { AssertChain(h); histories++; }
            Assert.Equal(5, histories); // shared: cfg, gone, back, only-on-feat; longterm: insight (sources stay untracked)
        }

        [BackendFact]
        public void GetHead_AnchorsTheHistories_AndVerifyAgainstAcceptsLaterAppends()
        {
            Put(Ns, "a", 1);
            Put(Ns, "a", 2);
            Put(Ns, "b", 1);
            Put(Ns, "u", 1, track: false);
            var head = S.GetHead(Ns);
            Assert.Equal(Ns, head.Namespace);
            Assert.StartsWith("sha256:", head.Digest);
            Assert.Equal(new[] { "a:2", "b:1" }, head.Entries.Select(e => e.Key + ":" + e.Seq));
            Assert.Equal(History("a").Last().Hash, head.Entries[0].Hash);
            Assert.Equal(head.Digest, Reopen().GetHead(Ns).Digest);
            var report = S.VerifyAgainst(head);
            AssertHealthy(report);
            Assert.Equal(2, report.HistoriesChecked);

            Put(Ns, "a", 3);
            S.Remove(Ns, "b", "tester");
            Assert.NotEqual(head.Digest, S.GetHead(Ns).Digest);
            AssertHealthy(Reopen().VerifyAgainst(head));
            Assert.Empty(S.GetHead("projects").Entries);

            // An anchor naming a history the store does not have is reported, not thrown.
            var forged = new ProvenanceHead(Ns, DateTime.UtcNow, new[] { new HeadEntry("never", 1, new string('0', 64)) });
            var missing = S.VerifyAgainst(forged);
            Assert.False(missing.Healthy);
            Assert.Contains(missing.Findings, f => f.Kind == "HistoryMissing");
        }

        [BackendFact]
        public void GetAsOf_RebuildsTrackedMemories_AcrossDeleteAndRecreate()
        {
            var e1 = Put(Ns, "k", "v1").Entry!;
            Thread.Sleep(3);
            var e2 = Put(Ns, "k", "v2").Entry!;
            Thread.Sleep(3);
            var e3 = S.Remove(Ns, "k", "tester")!;
            Thread.Sleep(3);
            var e4 = Put(Ns, "k", "v4").Entry!;
            Put(Ns, "other", "o", track: false);

            Assert.Empty(S.GetAsOf(Ns, e1.TimestampUtc.AddTicks(-1)).Memories);
            var at1 = Assert.Single(S.GetAsOf(Ns, e1.TimestampUtc).Memories);
            Assert.Equal("k", at1.Key);
            Assert.Equal("v1", at1.Value);
            Assert.Equal(1, at1.Version);
            Assert.Equal(e1.MemoryId, at1.Id);
            var at2 = Assert.Single(Reopen().GetAsOf(Ns, e2.TimestampUtc).Memories);
            Assert.Equal("v2", at2.Value);
            Assert.Equal(2, at2.Version);
            Assert.Empty(S.GetAsOf(Ns, e3.TimestampUtc).Memories);
            var at4 = Assert.Single(S.GetAsOf(Ns, e4.TimestampUtc).Memories);
            Assert.Equal("v4", at4.Value);
            Assert.Equal(3, at4.Version);
            Assert.Empty(S.GetAsOf(Ns, DateTime.UtcNow, k => k != "k").Memories);
            Assert.Empty(S.GetAsOf(Ns, DateTime.UtcNow).Unavailable);
            Assert.Empty(S.GetAsOf("projects", DateTime.UtcNow).Memories);
        }

        [BackendFact, SeveralProcesses]
        public void SeveralProcesses_WritingOneTrackedKey_LoseNothing()
        {
            // Separate processes (tests/Engram.StressWorker), each with its own store object and connections: the
            // backend's cross-process lock (a lock file, SQLite's BEGIN IMMEDIATE, PostgreSQL's row lock) must hold.
            const int Workers = 3, PerWorker = 40, Total = Workers * PerWorker;
            S.Initialize();
            var procs = Enumerable.Range(0, Workers)
                .Select(w => Engram.Tests.Shared.StressWorkerProcess.Start(Location.Location, w.ToString(CultureInfo.InvariantCulture), PerWorker.ToString(CultureInfo.InvariantCulture), Ns, "hot"))
                .ToList();
            var outputs = procs.Select(p => (Out: p.StandardOutput.ReadToEndAsync(), Err: p.StandardError.ReadToEndAsync())).ToList();
            foreach (var p in procs)
                if (!p.WaitForExit(120_000))
                {
                    foreach (var q in procs) try { q.Kill(); } catch (InvalidOperationException) { }
                    Assert.Fail("a worker did not finish within 120 s");
                }
            for (int w = 0; w < Workers; w++)
            {
                Assert.True(procs[w].ExitCode == 0, $"worker {w} exited {procs[w].ExitCode}: {outputs[w].Err.Result}");
                Assert.Equal("done", outputs[w].Out.Result.Trim());
            }

            var store = Reopen();
            var m = store.Get(Ns, "hot");
            Assert.Equal(Total, m.Version);
            var history = store.GetProvenance(Ns, "hot").ToList();
            Assert.Equal(Enumerable.Range(1, Total).Select(i => (long)i), history.Select(e => e.Seq));
            Assert.Equal(Enumerable.Range(1, Total), history.Select(e => e.Version));
            var values = history.Select(e => (string)e.Value!).ToList();
            Assert.Equal(Total, values.Distinct().Count());
            for (int w = 0; w < Workers; w++)
            {
                Assert.Equal(Enumerable.Range(0, PerWorker).Select(i => $"w{w}-{i}"), values.Where(v => v.StartsWith($"w{w}-", StringComparison.Ordinal)));
                Assert.Equal("owned by " + w, store.Get(Ns, "own-" + w).Value);
            }
            Assert.Equal(values.Last(), m.Value);
            Assert.True(store.Verify().Healthy);
        }

        [BackendFact]
        public void Embeddings_AreSetReadBackAndRemoved_AndABadOneChangesNothing()
        {
            Put(Ns, "k", "v");
            Throws(EngramErrorIds.EmbeddingsNotConfigured, () => Engram.Core.Search.SemanticSearch.FromConfig(S.Config, S.Root, _ => throw new Xunit.Sdk.XunitException("no generator is made without an embeddings: section")));

            var config = S.SetEmbeddings(Engram.Core.Search.EmbeddingsConfig.Create("OpenAI", "text-embedding-3-small", "http://127.0.0.1:9/v1", "MY_API_KEY"));
            Assert.Equal("openai", config.Embeddings!.Provider);
            var read = Reopen().Config.Embeddings!;
            Assert.Equal(("openai", "text-embedding-3-small", "http://127.0.0.1:9/v1", "MY_API_KEY"), (read.Provider, read.Model, read.Endpoint, read.ApiKeyEnv));
            Assert.True(Reopen().Config.DefaultRetention.IsForever); // the rest of the configuration is kept

            Throws(EngramErrorIds.InvalidConfiguration, () => Engram.Core.Search.EmbeddingsConfig.Create("ollama", "m", "ftp://host"));
            Throws(EngramErrorIds.InvalidConfiguration, () => Engram.Core.Search.EmbeddingsConfig.Create("bert", "m"));
            Throws(EngramErrorIds.InvalidConfiguration, () => Engram.Core.Search.EmbeddingsConfig.Create("ollama", "m", null, "A=B"));
            Assert.Equal("text-embedding-3-small", Reopen().Config.Embeddings!.Model);

            Assert.Null(Reopen().SetEmbeddings(null).Embeddings);
            Assert.Null(Reopen().Config.Embeddings);
            Assert.Equal("v", Reopen().Get(Ns, "k").Value);
        }

        [BackendFact]
        public void Retention_OptimizeSquashesOldEntries_DryRunChangesNothing_AndChainsStillVerify()
        {
            for (int i = 1; i <= 6; i++) Put(Ns, "k", "v" + i, actor: "writer");
            Put(Ns, "single", "once");
            var config = S.SetRetention(Ns, new RetentionPolicy(null, 2));
            Assert.Equal(2, config.RetentionFor(Ns).MaxEntries);
            Assert.Equal(2, Reopen().Config.RetentionFor(Ns).MaxEntries);
            Assert.True(Reopen().Config.RetentionFor("longterm").IsForever);

            var head = S.GetHead(Ns).Digest;
            var dry = Assert.Single(S.Optimize(null, dryRun: true, actor: "janitor"), r => r.Namespace == Ns);
            Assert.False(dry.Applied);
            Assert.Equal(2, dry.HistoriesChecked);
            Assert.Equal(1, dry.HistoriesSquashed);
            Assert.Equal(4, dry.EntriesRemoved);
            Assert.Equal(head, S.GetHead(Ns).Digest);
            Assert.Equal(6, History("k").Count);

            var real = Assert.Single(S.Optimize(n => n == Ns, dryRun: false, actor: "janitor"));
            Assert.True(real.Applied);
            Assert.Equal(1, real.HistoriesSquashed);
            Assert.Equal(4, real.EntriesRemoved);

            var hist = Reopen().GetProvenance(Ns, "k").ToList();
            Assert.Equal(new[] { "squashed", "revised", "revised" }, hist.Select(e => e.Action));
            Assert.Equal(new long[] { 4, 5, 6 }, hist.Select(e => e.Seq));
            var squash = hist[0];
            Assert.Equal(2, squash.Schema);
            Assert.Equal("janitor", squash.Actor);
            Assert.False(squash.HasValue);
            Assert.Equal("4", Detail(squash, "count"));
            Assert.Equal("1", Detail(squash, "firstSeq"));
            Assert.Equal("v5", hist[1].Value);
            Assert.Equal("v6", hist[2].Value);
            AssertChain(hist);
            Assert.Single(History("single"));
            AssertHealthy(S.Verify());
            AssertHealthy(S.VerifyProvenance(Ns));
            Throws(EngramErrorIds.VersionNotFound, () => S.GetVersion(Ns, "k", 2));
            Assert.Equal("v6", S.GetVersion(Ns, "k", 6).Value);

            var next = Put(Ns, "k", "v7");
            Assert.Equal(7, next.Entry!.Seq);
            Assert.Equal(7, next.Memory.Version);
            AssertChain(History("k"));
            AssertHealthy(S.Verify());
        }

        // ================================================================== cognition

        [BackendFact]
        public void DerivedWrites_PinTheirSources_AndLineageWalksUpAndDown()
        {
            Put("thinking", "obs1", "the build is slow on Mondays");
            Put("thinking", "obs2", "Monday is when the cache is purged");
            var insight = Derive("longterm", "insight", "cache purges slow the build", new[] { "thinking/obs1", "thinking/obs2" },
                action: "synthesized", confidence: 0.7, reason: "two observations agree");
            Derive("projects", "plan", "move the purge to Sunday", new[] { "longterm/insight" }, confidence: 0.9, reason: "act on it");

            Assert.True(S.HasProvenance("projects", "plan")); // derived writes are tracked even in untracked namespaces
            Assert.False(S.HasProvenance("thinking", "obs1"));
            var e = Assert.Single(Reopen().GetProvenance("longterm", "insight"));
            Assert.Equal(insight.Entry!.Hash, e.Hash);
            Assert.Equal("synthesized", e.Action);
            Assert.Equal(0.7, e.Details!["confidence"]);
            var sources = Assert.IsType<object?[]>(e.Details["derivedFrom"]).Cast<EngramMap>().ToArray();
            Assert.Equal(new[] { "obs1", "obs2" }, sources.Select(x => x["key"]));
            Assert.Equal(S.Get("thinking", "obs1").Id, sources[0]["memoryId"]);
            Assert.Equal(1, Convert.ToInt32(sources[0]["version"], CultureInfo.InvariantCulture));

            var up = Reopen().GetLineage("projects", "plan", 3, LineageDirection.Up);
            Assert.Equal(new[]
            {
                "Up d1 projects/plan@1 <- longterm/insight@1",
                "Up d2 longterm/insight@1 <- thinking/obs1@1",
                "Up d2 longterm/insight@1 <- thinking/obs2@1",
            }, up.Select(L).ToArray());
            Assert.Equal(0.9, up[0].Confidence);
            Assert.Equal("agent", up[1].Actor);
            var down = Reopen().GetLineage("thinking", "obs1", 3, LineageDirection.Down);
            Assert.Equal(new[]
            {
                "Down d1 longterm/insight@1 <- thinking/obs1@1",
                "Down d2 projects/plan@1 <- longterm/insight@1",
            }, down.Select(L).ToArray());
            Assert.Equal("synthesized", down[0].Action);
            Assert.Single(S.GetLineage("thinking", "obs1", 1, LineageDirection.Down));
            Throws(EngramErrorIds.MemoryNotFound, () => S.GetLineage("projects", "nothing"));

            // Pinned: a later revision of a source does not move the link.
            Put("thinking", "obs1", "revised observation");
            Assert.Equal("Up d2 longterm/insight@1 <- thinking/obs1@1", L(S.GetLineage("projects", "plan", 3, LineageDirection.Up)[1]));
            Throws(EngramErrorIds.MemoryNotFound, () => Derive("projects", "x", 1, new[] { "thinking/nothing" }));
            Assert.Null(S.TryGet("projects", "x"));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void Connect_WritesOneEntryInEachHistory_WithoutChangingValues()
        {
            Put("longterm", "insight", "i1");
            Put("longterm", "insight", "i2");
            Put("thinking", "idea", "x");
            var before = S.Get("thinking", "idea");
            var (a, b) = S.Connect(MemoryRef.Parse("longterm/insight"), MemoryRef.Parse("thinking/idea"), "agent", "related");
            Assert.Equal(EngramStore.ConnectedAction, a.Action);
            Assert.Equal("to", Detail(a, "direction"));
            Assert.Equal("from", Detail(b, "direction"));
            Assert.Equal(2, a.Version);
            Assert.Equal(1, b.Version);
            var with = Assert.IsType<EngramMap>(a.Details!["with"]);
            Assert.Equal("idea", with["key"]);
            Assert.Equal(before.Id, with["memoryId"]);

            var s = Reopen();
            var after = s.Get("thinking", "idea");
            Assert.Equal(before.Version, after.Version);
            Assert.Equal(before.ContentHash, after.ContentHash);
            Assert.Equal(2, s.Get("longterm", "insight").Version);
            Assert.Equal(a.Hash, s.GetProvenance("longterm", "insight").Last().Hash);
            var started = Assert.Single(s.GetProvenance("thinking", "idea")); // connecting starts an untracked memory's history
            Assert.Equal(b.Hash, started.Hash);
            Assert.Equal(1, started.Seq);
            Assert.False(started.HasValue);

            Throws(EngramErrorIds.InvalidKey, () => S.Connect(MemoryRef.Parse("longterm/insight"), MemoryRef.Parse("LongTerm/insight"), "a"));
            Throws(EngramErrorIds.MemoryNotFound, () => S.Connect(MemoryRef.Parse("longterm/insight"), MemoryRef.Parse("longterm/nothing"), "a"));
            Throws(EngramErrorIds.VersionNotFound, () => S.Connect(MemoryRef.Parse("longterm/insight@1"), MemoryRef.Parse("thinking/idea"), "a"));
            Assert.Equal(3, S.GetProvenance("longterm", "insight").Count());
            Assert.Single(S.GetProvenance("thinking", "idea"));
            Assert.NotNull(Put("thinking", "idea", "y").Entry); // tracked from now on
            AssertChain(History("idea", "thinking"));
            AssertHealthy(S.Verify());
        }

        // ================================================================== search

        [BackendFact]
        public void Search_RanksAKeyMatchFirst_AndFindsValues()
        {
            Put("projects", "runbook", "how to deploy: run the pipeline, then check the dashboards");
            Put("projects", "deploy-target", "prod-eu-west");
            Put("projects", "coffee", "the machine on floor 3 is broken");
            Put("projects", "menu", new EngramMap { { "monday", "pasta" }, { "note", "nothing about releases" } });

            var hits = Reopen().Search("deploy");
            Assert.True(hits.Count >= 2, "hits: " + string.Join(", ", hits.Select(h => h.Key)));
            Assert.Equal("deploy-target", hits[0].Key);
            Assert.Contains(hits, h => h.Key == "runbook");
            Assert.DoesNotContain(hits, h => h.Key == "coffee" || h.Key == "menu");
            Assert.All(hits, h => Assert.Equal("text", h.MatchedBy));
            Assert.All(hits, h => Assert.Equal("projects", h.Namespace));
            for (int i = 1; i < hits.Count; i++) Assert.True(hits[i - 1].Score >= hits[i].Score, "hits are not best first");
            Assert.Equal("prod-eu-west", hits[0].Memory.Value);
            Assert.Contains(S.Search("pasta"), h => h.Key == "menu"); // text inside a map value
            Assert.Empty(S.Search("zeppelin"));
        }

        [BackendFact]
        public void Search_HonoursNamespacesAndTop_AndSeesOnlyCurrentValues()
        {
            Put("projects", "deploy-target", "prod");
            Put("projects", "deploy-notes", "deploy on fridays, never");
            Put(Ns, "deploy-policy", "deploy only with approval");
            Put("session", "deploy-scratch", "deploy tmp");
            Put(Ns, "old", "the word deploy was here");
            Put(Ns, "old", "now it is gone");

            var all = S.Search("deploy", null, 10);
            Assert.Equal(new[] { "projects/deploy-notes", "projects/deploy-target", "session/deploy-scratch", "shared/deploy-policy" },
                all.Select(h => h.Namespace + "/" + h.Key).OrderBy(x => x, StringComparer.Ordinal));
            var projects = S.Search("deploy", new[] { "projects" }, 10);
            Assert.Equal(2, projects.Count);
            Assert.All(projects, h => Assert.Equal("projects", h.Namespace));
            Assert.Equal(3, S.Search("deploy", new[] { "projects", "shared" }, 10).Count);
            Assert.Single(S.Search("deploy", null, 1));
            Assert.Equal(2, S.Search("deploy", null, 2).Count);
            S.Remove("projects", "deploy-notes", "tester");
            Assert.Single(S.Search("deploy", new[] { "projects" }, 10));
        }

        // ================================================================== moving between backends

        /// <summary>Everything <paramref name="b"/> holds equals what <paramref name="a"/> holds, read through the interface.</summary>
        protected static void AssertSameContent(IEngramStore a, IEngramStore b)
        {
            Assert.Equal(a.Config.ToYaml(), b.Config.ToYaml());
            Assert.Equal(a.ListNamespaces(), b.ListNamespaces());
            foreach (var ns in a.ListNamespaces())
            {
                Assert.Equal(a.ListKeys(ns, null), b.ListKeys(ns, null));
                foreach (var key in a.ListKeys(ns, null))
                {
                    var ma = a.Get(ns, key);
                    var mb = b.Get(ns, key);
                    Assert.Equal(ma.Id, mb.Id);
                    Assert.Equal(ma.Version, mb.Version);
                    Assert.Equal(ma.Tags, mb.Tags);
                    Assert.Equal(ma.CreatedUtc, mb.CreatedUtc);
                    Assert.Equal(ma.UpdatedUtc, mb.UpdatedUtc);
                    AssertSameValue(ma.Value, mb.Value, ns + "/" + key);
                    Assert.Equal(a.HasProvenance(ns, key), b.HasProvenance(ns, key));
                }
                Assert.Equal(a.GetHead(ns).Digest, b.GetHead(ns).Digest);
            }
            foreach (var history in a.Export().Histories)
            {
                var first = history[0];
                var other = b.GetProvenance(first.Namespace, first.Key, branch: "*").ToList();
                Assert.Equal(history.Count, other.Count);
                for (int i = 0; i < history.Count; i++)
                {
                    var x = history[i];
                    var y = other[i];
                    var where = $"{x.Namespace}/{x.Key}#{x.Seq}";
                    Assert.True(x.Hash == y.Hash, where + ": hash differs");
                    Assert.True(y.VerifyHash(), where + ": does not verify on the destination");
                    Assert.Equal(x.Seq, y.Seq);
                    Assert.Equal(x.PrevHash, y.PrevHash);
                    Assert.Equal(x.Schema, y.Schema);
                    Assert.Equal(x.Action, y.Action);
                    Assert.Equal(x.Branch, y.Branch);
                    Assert.Equal(x.TimestampUtc, y.TimestampUtc);
                    Assert.Equal(x.HasValue, y.HasValue);
                    if (x.HasValue) AssertSameValue(x.Value, y.Value, where);
                }
            }
            var ba = a.GetBranches();
            var bb = b.GetBranches();
            Assert.Equal(ba.Select(i => $"{i.Record.Namespace}@{i.Record.Name}:{i.ChangedCount}:{string.Join(",", i.Record.Keys ?? Array.Empty<string>())}:{i.Record.Actor}:{i.Record.Reason}:{i.Record.CreatedUtc:o}"),
                         bb.Select(i => $"{i.Record.Namespace}@{i.Record.Name}:{i.ChangedCount}:{string.Join(",", i.Record.Keys ?? Array.Empty<string>())}:{i.Record.Actor}:{i.Record.Reason}:{i.Record.CreatedUtc:o}"));
            foreach (var info in ba)
            {
                var ns = info.Record.Namespace;
                var name = info.Record.Name;
                Assert.Equal(a.ListKeys(ns, name), b.ListKeys(ns, name));
                foreach (var key in a.ListKeys(ns, name))
                {
                    var ma = a.TryGet(ns, key, name)!;
                    var mb = b.TryGet(ns, key, name)!;
                    Assert.Equal(ma.Version, mb.Version);
                    AssertSameValue(ma.Value, mb.Value, ns + "/" + key + "@" + name);
                }
                Assert.Equal(a.PlanMerge(ns, name).Items.Select(i => i.Key + ":" + i.Outcome + ":" + i.Base?.Version),
                             b.PlanMerge(ns, name).Items.Select(i => i.Key + ":" + i.Outcome + ":" + i.Base?.Version));
            }
            Assert.Equal(a.GetLineage("thinking", "obs").Select(L), b.GetLineage("thinking", "obs").Select(L));
            var ea = a.Export();
            var eb = b.Export();
            Assert.Equal(ea.MemoryCount, eb.MemoryCount);
            Assert.Equal(ea.HistoryCount, eb.HistoryCount);
        }

        /// <summary>The mixed workload, plus retention on one namespace (so squashed entries move too).</summary>
        protected static void RichStore(IEngramStore s)
        {
            MixedWorkload(s);
            for (int i = 0; i < 5; i++) Put(s, "squash", "k", i, track: true);
            s.SetRetention("squash", new RetentionPolicy(null, 2));
            s.Optimize(n => n == "squash", actor: "janitor");
        }

        private void Transfer(BackendKind from, BackendKind to, bool initializeDestination)
        {
            var src = from == Kind ? S : OpenNew(from);
            RichStore(src);
            var dst = OpenNew(to);
            if (initializeDestination) dst.Initialize();
            var export = src.Export();
            Assert.Equal(src.ListNamespaces().Sum(ns => src.ListKeys(ns, null).Count), export.MemoryCount);
            Assert.Equal(6, export.HistoryCount);
            var progress = new List<(int done, int total)>();
            dst.Import(export, (done, total, what) => progress.Add((done, total)));
            Assert.NotEmpty(progress);
            Assert.Equal(progress.Last().total, progress.Last().done);

            var fresh = Reopen(dst);
            Assert.True(fresh.Exists);
            AssertSameContent(src, fresh);
            AssertHealthy(fresh.Verify());
            foreach (var ns in fresh.ListNamespaces().Concat(new[] { "squash" }).Distinct())
                AssertHealthy(fresh.VerifyProvenance(ns));
            // The copy is a working store: writes continue its chains.
            var next = Put(fresh, Ns, "cfg", "after the copy");
            Assert.Equal(src.Get(Ns, "cfg").Version + 1, next.Memory.Version);
            AssertChain(fresh.GetProvenance(Ns, "cfg").ToList());
            AssertHealthy(fresh.Verify());
        }

        [BackendFact]
        public void ExportImport_IntoAnEmptyStoreOfAnotherBackend_KeepsEverything() => Transfer(Kind, OtherKind, initializeDestination: false);

        [BackendFact]
        public void ExportImport_FromAnotherBackend_KeepsEverything() => Transfer(OtherKind, Kind, initializeDestination: false);

        [BackendFact]
        public void ExportImport_IntoAnInitializedEmptyStoreOfTheSameBackend_KeepsEverything() => Transfer(Kind, Kind, initializeDestination: true);

        [BackendFact]
        public void Import_IntoAStoreWithMemoriesHistoriesOrBranches_IsRefused_AndChangesNothing()
        {
            Put(Ns, "src", "source value");
            var export = S.Export();

            var withMemory = OpenNew(Kind);
            Put(withMemory, "session", "k", 1);
            Throws(EngramErrorIds.StoreAlreadyExists, () => withMemory.Import(export));
            var reopened = Reopen(withMemory);
            Assert.Equal(new[] { "session" }, reopened.ListNamespaces());
            Assert.Null(reopened.TryGet(Ns, "src"));
            Assert.Equal(1, reopened.Get("session", "k").Value);

            var withHistory = OpenNew(Kind);
            Put(withHistory, Ns, "k", 1);
            withHistory.Remove(Ns, "k", "tester");
            Throws(EngramErrorIds.StoreAlreadyExists, () => withHistory.Import(export));
            Assert.Null(withHistory.TryGet(Ns, "src"));
            Assert.Equal(2, withHistory.GetProvenance(Ns, "k").Count());

            var withBranch = OpenNew(Kind);
            withBranch.Initialize(new StoreConfig { TrackAll = true });
            withBranch.Fork("projects", "b", null, "tester");
            Throws(EngramErrorIds.StoreAlreadyExists, () => withBranch.Import(export));
            var again = Reopen(withBranch);
            Assert.Null(again.TryGet(Ns, "src"));
            Assert.True(again.Config.TrackAll);
            Assert.Single(again.GetBranches());
        }

        // ================================================================== concurrency

        [BackendFact]
        public void FourWriters_OnOneTrackedKey_ThroughSeparateStoreObjects_LoseNothing()
        {
            const int Threads = 4, PerThread = 50, Total = Threads * PerThread;
            S.Initialize();
            var stores = Enumerable.Range(0, Threads).Select(_ => Reopen()).ToList();
            var errors = new ConcurrentQueue<Exception>();
            using var start = new ManualResetEventSlim(false);
            var writers = Enumerable.Range(0, Threads).Select(w => new Thread(() =>
            {
                start.Wait();
                try
                {
                    for (int i = 0; i < PerThread; i++)
                        if (!Put(stores[w], Ns, "hot", $"t{w}-{i}", actor: "thread-" + w).Changed)
                            throw new InvalidOperationException("a write reported no change");
                }
                catch (Exception ex) { errors.Enqueue(ex); }
            })).ToList();
            writers.ForEach(t => t.Start());
            start.Set();
            writers.ForEach(t => Assert.True(t.Join(TimeSpan.FromSeconds(60)), "a writer did not finish"));
            Assert.Empty(errors);

            var m = Reopen().Get(Ns, "hot");
            Assert.Equal(Total, m.Version);
            var hist = Reopen().GetProvenance(Ns, "hot").ToList();
            Assert.Equal(Enumerable.Range(1, Total), hist.Select(e => e.Version));
            AssertChain(hist);
            var written = Enumerable.Range(0, Threads).SelectMany(w => Enumerable.Range(0, PerThread).Select(i => ValueCodec.ContentHash($"t{w}-{i}")));
            Assert.Equal(written.OrderBy(h => h, StringComparer.Ordinal), hist.Select(e => e.ContentHash!).OrderBy(h => h, StringComparer.Ordinal));
            for (int w = 0; w < Threads; w++)
            {
                var own = hist.Where(e => e.Actor == "thread-" + w).Select(e => (string)e.Value!).ToList();
                Assert.Equal(Enumerable.Range(0, PerThread).Select(i => $"t{w}-{i}"), own); // each writer's order is kept
            }
            Assert.Equal(hist.Last().ContentHash, m.ContentHash);
            AssertHealthy(S.Verify());
        }
    }
}
