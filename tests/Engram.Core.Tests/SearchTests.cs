using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Engram.Core;
using Engram.Core.Search;
using Engram.Core.Storage;
using Engram.Core.Values;
using Engram.Embeddings;
using Microsoft.Extensions.AI;
using Engram.Tests.Shared;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    /// <summary>
    /// A deterministic embedding generator for tests: bag of words hashed into <see cref="Dimensions"/> buckets, with a
    /// small synonym table so that "vehicle", "car" and "automobile" land in the same bucket (meaning without shared
    /// words). Counts its calls and the texts it embedded.
    /// </summary>
    public sealed class BagOfWordsGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        public const int Dimensions = 256;

        private static readonly Dictionary<string, string> Synonyms = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["car"] = "vehicle", ["automobile"] = "vehicle", ["cars"] = "vehicle", ["truck"] = "vehicle",
            ["tyres"] = "wheel", ["tires"] = "wheel", ["tire"] = "wheel", ["wheels"] = "wheel",
            ["maintenance"] = "repair", ["service"] = "repair", ["fix"] = "repair",
            ["cat"] = "pet", ["dog"] = "pet", ["kitten"] = "pet",
            ["pasta"] = "food", ["recipe"] = "food", ["tomato"] = "food", ["dinner"] = "food",
        };

        public int Calls { get; private set; }
        public List<string> Texts { get; } = new List<string>();
        public Func<string, float[]>? Override { get; set; }

        public static float[] Embed(string text)
        {
            var v = new float[Dimensions];
            foreach (var word in SearchText.Tokenize(text))
            {
                var w = Synonyms.TryGetValue(word, out var s) ? s : word;
                uint h = 2166136261;
                foreach (var c in w) h = (h ^ c) * 16777619;
                v[h % Dimensions] += 1;
            }
            return v;
        }

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
            CancellationToken cancellationToken = default)
        {
            Calls++;
            var list = values.ToList();
            Texts.AddRange(list);
            var result = new GeneratedEmbeddings<Embedding<float>>(list.Select(t => new Embedding<float>(Override?.Invoke(t) ?? Embed(t))));
            return Task.FromResult(result);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("bag-of-words", new Uri("test://bag"), "bow") : null;

        public void Dispose() { }
    }

    public partial class SearchTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();

        public void Dispose() => _t.Dispose();

        private EngramStore S => _t.Store;

        private static string[] Keys(IEnumerable<SearchHit> hits) => hits.Select(h => h.Namespace + "/" + h.Key).ToArray();

        private static EngramMap Map(params (string Key, object? Value)[] entries)
        {
            var m = new EngramMap();
            foreach (var (k, v) in entries) m.Add(k, v);
            return m;
        }

        // ------------------------------------------------------------------ SearchText

        [Fact]
        public void SearchText_holds_every_scalar_and_map_key_of_nested_values()
        {
            var value = Map(("owner", "ops team"), ("ports", new object?[] { 8080, 443L }),
                ("limits", Map(("ratio", 0.5), ("enabled", true), ("when", new DateTime(2024, 5, 1, 13, 30, 0, DateTimeKind.Utc)))),
                ("blob", new byte[] { 1, 2, 3 }), ("nothing", null));
            var text = SearchText.FromValue(value);
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(new[] { "owner", "ops team", "ports", "8080", "443", "limits", "ratio", "0.5", "enabled", "true", "when", "2024-05-01 13:30:00", "blob", "nothing" }, lines);
            Assert.Equal("", SearchText.FromValue(null));
            Assert.Equal("k\nv", SearchText.ForEmbedding("k", "v"));
            Assert.Equal(SearchText.MaxEmbeddingLength, SearchText.ForEmbedding("k", new string('x', 20000)).Length);
        }

        [Fact]
        public void Tokenize_is_unicode_aware_and_case_folding()
        {
            Assert.Equal(new[] { "deploy", "target", "grüße", "welt", "école", "東京タワー", "abc", "42", "x", "नमस्ते" },
                SearchText.Tokenize("Deploy-Target: Grüße, Welt! — ÉCOLE 東京タワー 𝐀bc 42_x नमस्ते").ToArray());
            Assert.Equal(new[] { "caf\u00e9" }, SearchText.Tokenize("Cafe\u0301")); // decomposed é is composed (NFKC)
            Assert.Equal(new[] { "file" }, SearchText.Tokenize("\ufb01le")); // the ligature is two letters
            Assert.Equal(new[] { "deploy" }, SearchText.Tokenize("DEPLOY"));
            Assert.Empty(SearchText.Tokenize(" ,.;!? "));
        }

        [Fact]
        public void Query_parsing_dedups_terms_and_marks_prefixes()
        {
            var q = SearchQuery.Parse("Deploy deploy-target tar* DEPLOY");
            Assert.Equal(new[] { "deploy", "target", "tar*" }, q.Terms.Select(t => t.ToString()).ToArray());
            Assert.True(q.Terms[2].Matches("target"));
            Assert.False(q.Terms[1].Matches("targets"));
            Throws(EngramErrorIds.InvalidSearchQuery, () => SearchQuery.Parse(""));
            Throws(EngramErrorIds.InvalidSearchQuery, () => SearchQuery.Parse("   \t"));
            Throws(EngramErrorIds.InvalidSearchQuery, () => SearchQuery.Parse(null));
            var ex = Throws(EngramErrorIds.InvalidSearchQuery, () => SearchQuery.Parse("?! --"));
            Assert.Equal(EngramErrorKind.InvalidArgument, ex.Kind);
        }

        // ------------------------------------------------------------------ full-text search on files

        [Fact]
        public void Key_hit_outranks_value_hit()
        {
            _t.Set("shared", "deploy-notes", "written last week by the platform team");
            _t.Set("shared", "misc", "we deploy on fridays unless the platform is down");
            _t.Set("shared", "other", "nothing to see");
            var hits = S.Search("deploy");
            Assert.Equal(new[] { "shared/deploy-notes", "shared/misc" }, Keys(hits));
            Assert.True(hits[0].Score > hits[1].Score);
            Assert.All(hits, h => Assert.Equal("text", h.MatchedBy));
            Assert.Equal("written last week by the platform team", hits[0].Memory.Value);
        }

        [Fact]
        public void Every_term_must_match_and_rarer_terms_weigh_more()
        {
            _t.Set("projects", "a", "alpha beta gamma");
            _t.Set("projects", "b", "alpha gamma");
            _t.Set("projects", "c", "beta only");
            _t.Set("projects", "d", "alpha alone");
            Assert.Equal(new[] { "projects/a" }, Keys(S.Search("alpha beta")));
            Assert.Equal(new[] { "projects/a", "projects/b" }, Keys(S.Search("gamma ALPHA")).OrderBy(k => k).ToArray());
            Assert.Empty(S.Search("alpha zeta"));
            // "beta" is rarer than "alpha" (2 of 4 vs 3 of 4): the memory with beta only scores above the one with alpha only.
            Assert.True(S.Search("beta").Single(h => h.Key == "c").Score > S.Search("alpha").Single(h => h.Key == "d").Score);
        }

        [Fact]
        public void Trailing_star_matches_by_prefix()
        {
            _t.Set("shared", "a", "deployment pipeline");
            _t.Set("shared", "b", "deploy now");
            _t.Set("shared", "c", "depot");
            Assert.Equal(new[] { "shared/b" }, Keys(S.Search("deploy")));
            Assert.Equal(new[] { "shared/a", "shared/b" }, Keys(S.Search("deploy*")).OrderBy(k => k).ToArray());
            Assert.Equal(3, S.Search("dep*").Count);
        }

        [Fact]
        public void Namespace_filter_top_and_tie_order()
        {
            foreach (var ns in new[] { "zeta", "alpha", "mid" })
                foreach (var key in new[] { "k2", "k1" })
                    _t.Set(ns, key, "same words here", track: false);
            _t.Set("other", "x", "different");

            var all = S.Search("words", null, 100);
            Assert.Equal(new[] { "alpha/k1", "alpha/k2", "mid/k1", "mid/k2", "zeta/k1", "zeta/k2" }, Keys(all));
            Assert.Single(all.Select(h => h.Score).Distinct());

            Assert.Equal(new[] { "alpha/k1", "alpha/k2", "mid/k1" }, Keys(S.Search("words", null, 3)));
            Assert.Equal(new[] { "mid/k1", "mid/k2", "zeta/k1" }, Keys(S.Search("words", new[] { "ZETA", "mid", "mid" }, 3)));
            Assert.Empty(S.Search("words", new[] { "nowhere" }));
            Assert.Empty(S.Search("words", Array.Empty<string>()));
            Throws(EngramErrorIds.InvalidNamespace, () => S.Search("words", new[] { "bad name!" }));
            Throws(EngramErrorIds.ReservedNamespace, () => S.Search("words", new[] { "_provenance" }));
            Throws(EngramErrorIds.InvalidSearchQuery, () => S.Search("words", null, 0));
        }

        [Fact]
        public void Nested_values_map_keys_and_scalars_are_searchable()
        {
            _t.Set("shared", "svc", Map(("owner", "Ops Team"), ("endpoints", new object?[] { Map(("host", "web-01.example.org"), ("port", 8443)) }),
                ("since", new DateTime(2023, 11, 2, 0, 0, 0, DateTimeKind.Utc))));
            _t.Set("shared", "list", new object?[] { "one", new object?[] { "two", new object?[] { "deep-needle" } } });
            Assert.Equal(new[] { "shared/svc" }, Keys(S.Search("owner ops")));
            Assert.Equal(new[] { "shared/svc" }, Keys(S.Search("host example 8443")));
            Assert.Equal(new[] { "shared/svc" }, Keys(S.Search("2023-11-02")));
            Assert.Equal(new[] { "shared/list" }, Keys(S.Search("needle")));
            Assert.Equal(new[] { "shared/svc" }, Keys(S.Search("ENDPOINTS")));
        }

        [Fact]
        public void Errors_empty_query_and_missing_store_change_nothing()
        {
            Throws(EngramErrorIds.StoreNotFound, () => S.Search("anything"));
            Assert.False(Directory.Exists(_t.Root));
            _t.Set("shared", "a", "x");
            var before = Snapshot(_t.Root);
            Throws(EngramErrorIds.InvalidSearchQuery, () => S.Search(""));
            Throws(EngramErrorIds.InvalidSearchQuery, () => S.Search("  "));
            Assert.Single(S.Search("x"));
            AssertUnchanged(before, Snapshot(_t.Root));
        }

        [Fact]
        public void Main_line_only_and_unreadable_files_are_skipped()
        {
            _t.Set("shared", "kept", "needle in main");
            S.Fork("shared", "alt", null, "tester");
            S.Set(new SetRequest("shared", "kept", "changed on branch with thread") { Branch = "alt", Actor = "tester" });
            S.Set(new SetRequest("shared", "new", "needle on branch only") { Branch = "alt", Actor = "tester" });
            File.WriteAllText(_t.P("shared", "broken.yaml"), "not: [valid");
            Assert.Equal(new[] { "shared/kept" }, Keys(S.Search("needle")));
            Assert.Empty(S.Search("thread"));
        }

        [Fact]
        public void Deleted_memories_are_not_found()
        {
            _t.Set("shared", "a", "ephemeral words");
            Assert.Single(S.Search("ephemeral"));
            S.Remove("shared", "a", "tester");
            Assert.Empty(S.Search("ephemeral"));
        }

        // ------------------------------------------------------------------ vectors on files

        private static StoredVector V(string key, string hash, params float[] v) => new StoredVector(key, hash, "m1", v);

        [Fact]
        public void Vectors_round_trip_merge_by_key_and_drop_removed_memories()
        {
            _t.Set("shared", "b", "two");
            _t.Set("shared", "a", "one");
            _t.Set("shared", "Long key with spaces/and:symbols", "three");
            var before = Snapshot(_t.Root);

            S.PutVectors("shared", new[] { V("b", "h-b", 1f, -0f, float.Epsilon), V("a", "h-a", 0.25f, float.MaxValue, -3.5f) });
            var got = S.GetVectors("shared");
            Assert.Equal(new[] { "a", "b" }, got.Select(v => v.Key).ToArray());
            Assert.Equal(new[] { 0.25f, float.MaxValue, -3.5f }, got[0].Vector);
            Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(got[1].Vector[1]));
            Assert.Equal(float.Epsilon, got[1].Vector[2]);
            Assert.Equal("h-a", got[0].ContentHash);
            Assert.Equal("m1", got[0].Model);
            Assert.True(File.Exists(_t.P("_vectors", "shared.vec")));

            // Upsert: a new vector for b and one for the long key; a stays.
            S.PutVectors("SHARED", new[] { V("b", "h-b2", 9f), V("Long key with spaces/and:symbols", "h-l", 7f, 8f) });
            got = S.GetVectors("shared");
            Assert.Equal(new[] { "Long key with spaces/and:symbols", "a", "b" }, got.Select(v => v.Key).ToArray());
            Assert.Equal(new[] { 9f }, got[2].Vector);
            Assert.Equal("h-b2", got[2].ContentHash);

            // Memory files and histories are untouched; nothing is left in _tmp; the folder is not a namespace.
            static bool Ours(string path) => path.StartsWith("_vectors", StringComparison.Ordinal) || path.StartsWith("_tmp", StringComparison.Ordinal);
            var after = Snapshot(_t.Root);
            AssertUnchanged(new SortedDictionary<string, byte[]?>(before.Where(kv => !Ours(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal),
                new SortedDictionary<string, byte[]?>(after.Where(kv => !Ours(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal));
            Assert.Empty(Directory.Exists(_t.P("_tmp")) ? Directory.GetFiles(_t.P("_tmp")) : Array.Empty<string>());
            Assert.DoesNotContain("_vectors", S.ListNamespaces());
            Assert.Empty(S.GetVectors("never-used"));
            var report = S.Verify();
            Assert.True(report.Healthy && report.Findings.Count == 0, string.Join("; ", report.Findings.Select(f => f.Message)));

            // Vectors of memories that do not exist are dropped by the next write.
            S.Remove("shared", "a", "tester");
            S.PutVectors("shared", new[] { V("ghost", "h-g", 1f) });
            Assert.Equal(new[] { "Long key with spaces/and:symbols", "b" }, S.GetVectors("shared").Select(v => v.Key).ToArray());

        }

        [Fact]
        public void Vector_writes_are_atomic()
        {
            _t.Set("shared", "a", "one");
            S.PutVectors("shared", new[] { V("a", "h1", 1f, 2f) });
            var path = _t.P("_vectors", "shared.vec");
            var original = File.ReadAllBytes(path);

            // A failure between staging and rename keeps the old file and removes the temp file.
            S.FaultHook = step => { if (step == "vectors-staged") throw new IOException("disk full"); };
            var ex = Throws(EngramErrorIds.WriteFailed, () => S.PutVectors("shared", new[] { V("a", "h2", 3f, 4f) }));
            Assert.Equal(EngramErrorKind.WriteError, ex.Kind);
            Assert.Equal(original, File.ReadAllBytes(path));
            Assert.Empty(Directory.GetFiles(_t.P("_tmp")));

            // A crash there leaves the old file whole (and a temp file that Test-EngramStore reports).
            S.FaultHook = step => { if (step == "vectors-staged") throw new SimulatedCrashException(step); };
            Assert.Throws<SimulatedCrashException>(() => S.PutVectors("shared", new[] { V("a", "h3", 5f, 6f) }));
            S.FaultHook = null;
            Assert.Equal(original, File.ReadAllBytes(path));
            Assert.Equal("h1", S.GetVectors("shared").Single().ContentHash);
            Assert.Contains(S.Verify().Findings, f => f.Kind == "OrphanTempFile");

            S.PutVectors("shared", new[] { V("a", "h4", 7f, 8f) });
            Assert.Equal(new[] { 7f, 8f }, S.GetVectors("shared").Single().Vector);
        }

        [Fact]
        public void Damaged_vector_files_read_as_empty_and_are_rewritten()
        {
            _t.Set("shared", "a", "one");
            _t.Set("shared", "b", "two");
            S.PutVectors("shared", new[] { V("a", "h", 1f, 2f, 3f), V("b", "h", 4f) });
            var path = _t.P("_vectors", "shared.vec");
            var bytes = File.ReadAllBytes(path);
            Assert.Equal("EVEC", Encoding.ASCII.GetString(bytes, 0, 4));
            Assert.Equal(1, BitConverter.ToInt32(bytes, 4));
            Assert.Equal(2, BitConverter.ToInt32(bytes, 8));

            File.WriteAllBytes(path, bytes.Take(bytes.Length - 2).ToArray());
            Assert.Empty(S.GetVectors("shared"));
            File.WriteAllBytes(path, bytes.Concat(new byte[] { 0 }).ToArray());
            Assert.Empty(S.GetVectors("shared"));
            var newer = (byte[])bytes.Clone();
            newer[4] = 2;
            File.WriteAllBytes(path, newer);
            Assert.Empty(S.GetVectors("shared"));
            File.WriteAllText(path, "garbage");
            Assert.Empty(S.GetVectors("shared"));

            S.PutVectors("shared", new[] { V("b", "h", 4f) });
            Assert.Equal(new[] { "b" }, S.GetVectors("shared").Select(v => v.Key).ToArray());
        }

        [Fact]
        public void PutVectors_needs_an_existing_store_and_valid_input()
        {
            Throws(EngramErrorIds.StoreNotFound, () => S.PutVectors("shared", new[] { V("a", "h", 1f) }));
            Assert.False(Directory.Exists(_t.Root));
            _t.Set("shared", "a", "one");
            Throws(EngramErrorIds.ReservedNamespace, () => S.PutVectors("_provenance", new[] { V("a", "h", 1f) }));
            Throws(EngramErrorIds.InvalidKey, () => S.PutVectors("shared", new[] { V("", "h", 1f) }));
        }

        // ------------------------------------------------------------------ semantic search

        private void SeedMeaning()
        {
            _t.Set("longterm", "garage", "the automobile needs new tyres before winter");
            _t.Set("longterm", "home", "my cat sleeps all day on the sofa");
            _t.Set("projects", "kitchen", "pasta recipe with tomato and basil");
        }

        [Fact]
        public void Semantic_search_ranks_the_closest_meaning_first()
        {
            SeedMeaning();
            var gen = new BagOfWordsGenerator();
            var search = new SemanticSearch(gen, "bow-1");
            var hits = search.Search(S, "car maintenance and tire service");
            Assert.Equal("longterm/garage", hits[0].Namespace + "/" + hits[0].Key);
            Assert.Equal(3, hits.Count);
            Assert.All(hits, h => Assert.Equal("semantic", h.MatchedBy));
            Assert.InRange(hits[0].Score, 0.2, 1.0);
            Assert.True(hits[0].Score > hits[1].Score);
            Assert.Equal("kitchen", search.Search(S, "what is for dinner", top: 1).Single().Key);
            Assert.Equal("home", search.Search(S, "kitten", new[] { "longterm" }, 1).Single().Key);
            Assert.Empty(search.Search(S, "kitten", new[] { "nowhere" }));
        }

        [Fact]
        public void Semantic_search_refreshes_only_stale_vectors()
        {
            SeedMeaning();
            var gen = new BagOfWordsGenerator();
            var search = new SemanticSearch(gen, "bow-1") { BatchSize = 2 };

            search.Search(S, "vehicle");
            // One call for the query, then per namespace: longterm (2 memories: one batch), projects (1).
            Assert.Equal(3, gen.Calls);
            Assert.Equal(3, search.Embedded);
            Assert.Equal(4, gen.Texts.Count);
            Assert.Equal("vehicle", gen.Texts[0]);
            Assert.Contains("garage\nthe automobile needs new tyres before winter", gen.Texts);
            var stored = S.GetVectors("longterm");
            Assert.Equal(new[] { "garage", "home" }, stored.Select(v => v.Key).ToArray());
            Assert.Equal(S.Get("longterm", "garage").ContentHash, stored[0].ContentHash);
            Assert.Equal("bow-1", stored[0].Model);
            Assert.Equal(BagOfWordsGenerator.Dimensions, stored[0].Vector.Length);

            // Nothing changed: only the query is embedded, nothing is written.
            var before = Snapshot(_t.Root);
            gen.Texts.Clear();
            search.Search(S, "vehicle");
            Assert.Equal(4, gen.Calls);
            Assert.Equal(new[] { "vehicle" }, gen.Texts);
            Assert.Equal(0, search.Embedded);
            Assert.Equal(3, search.Compared);
            AssertUnchanged(before, Snapshot(_t.Root));

            // A changed value is embedded again (and only it); the new meaning is found.
            _t.Set("longterm", "home", "the dog chews the truck wheels");
            gen.Texts.Clear();
            var hits = search.Search(S, "truck");
            Assert.Equal(new[] { "truck", "home\nthe dog chews the truck wheels" }, gen.Texts);
            Assert.Equal(1, search.Embedded);
            Assert.Equal(S.Get("longterm", "home").ContentHash, S.GetVectors("longterm").Single(v => v.Key == "home").ContentHash);

            // A new memory is embedded; a removed one's vector is dropped when the namespace's vectors are next written.
            S.Remove("longterm", "garage", "tester");
            _t.Set("longterm", "fleet", "three cars");
            gen.Texts.Clear();
            search.Search(S, "vehicle");
            Assert.Equal(new[] { "vehicle", "fleet\nthree cars" }, gen.Texts);
            Assert.Equal(new[] { "fleet", "home" }, S.GetVectors("longterm").Select(v => v.Key).ToArray());

            // Another model makes every vector stale.
            var other = new SemanticSearch(gen, "bow-2");
            gen.Texts.Clear();
            other.Search(S, "vehicle");
            Assert.Equal(4, gen.Texts.Count);
            Assert.All(S.GetVectors("longterm"), v => Assert.Equal("bow-2", v.Model));
        }

        [Fact]
        public void Semantic_search_redoes_vectors_of_another_dimension_and_reports_bad_generators()
        {
            SeedMeaning();
            var gen = new BagOfWordsGenerator();
            new SemanticSearch(gen, "m").Search(S, "vehicle");
            gen.Override = t => BagOfWordsGenerator.Embed(t).Take(16).ToArray();
            gen.Texts.Clear();
            var s = new SemanticSearch(gen, "m");
            s.Search(S, "vehicle");
            Assert.Equal(3, s.Embedded);
            Assert.All(S.GetVectors("longterm"), v => Assert.Equal(16, v.Vector.Length));

            _t.Set("projects", "kitchen", "something new");
            gen.Override = t => t == "odd" ? BagOfWordsGenerator.Embed(t) : BagOfWordsGenerator.Embed(t).Take(8).ToArray();
            var ex = Throws(EngramErrorIds.EmbeddingFailed, () => new SemanticSearch(gen, "m").Search(S, "odd"));
            Assert.Contains("dimensions", ex.Message);
            Assert.Contains("bag-of-words", ex.Message);

            var failing = new FailingGenerator();
            var ex2 = Throws(EngramErrorIds.EmbeddingFailed, () => new SemanticSearch(failing, "m").Search(S, "anything"));
            Assert.Equal(EngramErrorKind.InvalidOperation, ex2.Kind);
            Assert.IsType<InvalidOperationException>(ex2.InnerException);

            Throws(EngramErrorIds.InvalidSearchQuery, () => new SemanticSearch(gen, "m").Search(S, " "));
            Throws(EngramErrorIds.StoreNotFound, () => new SemanticSearch(gen, "m").Search(new EngramStore(Path.Combine(_t.Parent, "none")), "x"));
        }

        private sealed class FailingGenerator : IEmbeddingGenerator<string, Embedding<float>>
        {
            public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
                throw new InvalidOperationException("connection refused");
            public object? GetService(Type serviceType, object? serviceKey = null) => null;
            public void Dispose() { }
        }

        [Fact]
        public void Semantic_search_without_configuration_says_how_to_configure()
        {
            SeedMeaning();
            var ex = Throws(EngramErrorIds.EmbeddingsNotConfigured, () => EmbeddingGeneratorFactory.CreateSearch(S.Config, S.Root));
            Assert.Equal(EngramErrorKind.InvalidOperation, ex.Kind);
            Assert.Contains("embeddings:\n  provider: ollama\n  endpoint: http://localhost:11434\n  model: nomic-embed-text\n", ex.Message);
            Assert.Contains("provider: openai", ex.Message);
            Assert.Contains("apiKeyEnv: OPENAI_API_KEY", ex.Message);
            Assert.Contains(S.Root, ex.Message);

            var keyless = new StoreConfig { Embeddings = new EmbeddingsConfig("openai", "m", "http://127.0.0.1:1/v1", "ENGRAM_TEST_NO_SUCH_API_KEY") };
            var ex2 = Throws(EngramErrorIds.EmbeddingsNotConfigured, () => EmbeddingGeneratorFactory.CreateSearch(keyless, null, _ => null));
            Assert.Contains("ENGRAM_TEST_NO_SUCH_API_KEY", ex2.Message);
            Throws(EngramErrorIds.EmbeddingsNotConfigured, () => EmbeddingGeneratorFactory.Create(new EmbeddingsConfig("openai", "text-embedding-3-small")));
        }

        [Fact]
        public void FromConfig_makes_the_generator_with_the_given_factory_only_when_embeddings_are_configured()
        {
            SeedMeaning();
            int made = 0;
            Throws(EngramErrorIds.EmbeddingsNotConfigured, () => SemanticSearch.FromConfig(S.Config, S.Root, _ => { made++; return new BagOfWordsGenerator(); }));
            Assert.Equal(0, made);

            var section = new EmbeddingsConfig("ollama", "bow-model");
            EmbeddingsConfig? given = null;
            var generator = new DisposeCountingGenerator(new BagOfWordsGenerator());
            using (var search = SemanticSearch.FromConfig(new StoreConfig { Embeddings = section }, null, e => { made++; given = e; return generator; }))
            {
                Assert.Equal(1, made);
                Assert.Same(section, given);
                Assert.Equal("bow-model", search.Model);
                Assert.Equal("kitchen", search.Search(S, "pasta dinner", top: 1)[0].Key);
                Assert.Equal(0, generator.Disposed);
            }
            Assert.Equal(1, generator.Disposed); // the search owns the generator it was given
            Assert.All(S.GetVectors("longterm"), v => Assert.Equal("bow-model", v.Model));
        }

        private sealed class DisposeCountingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
        {
            public DisposeCountingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner) : base(inner) { }

            public int Disposed { get; private set; }

            protected override void Dispose(bool disposing)
            {
                if (disposing) Disposed++;
                base.Dispose(disposing);
            }
        }

        // ------------------------------------------------------------------ configuration

        [Fact]
        public void Embeddings_config_round_trips_and_older_files_read()
        {
            var config = new StoreConfig { Embeddings = new EmbeddingsConfig("openai", "text-embedding-3-small", "https://gw.example.org/v1", "MY_KEY") };
            var yaml = config.ToYaml();
            Assert.Contains("embeddings:\n  provider: openai\n  endpoint: https://gw.example.org/v1\n  model: text-embedding-3-small\n  apiKeyEnv: MY_KEY\n", yaml);
            var back = StoreConfig.Parse(yaml, "engram.yaml");
            Assert.Equal("openai", back.Embeddings!.Provider);
            Assert.Equal("https://gw.example.org/v1", back.Embeddings.Endpoint);
            Assert.Equal("text-embedding-3-small", back.Embeddings.Model);
            Assert.Equal("MY_KEY", back.Embeddings.ApiKeyEnv);
            Assert.Equal(yaml, back.ToYaml());

            var minimal = StoreConfig.Parse("format: 2\nembeddings:\n  provider: Ollama\n  model: \"nomic-embed-text:latest\"\n", "engram.yaml");
            Assert.Equal("ollama", minimal.Embeddings!.Provider);
            Assert.Null(minimal.Embeddings.Endpoint);
            Assert.Equal("http://localhost:11434", minimal.Embeddings.EffectiveEndpoint);
            Assert.Equal("nomic-embed-text:latest", StoreConfig.Parse(minimal.ToYaml(), "e").Embeddings!.Model);
            var odd = new StoreConfig { Embeddings = new EmbeddingsConfig("ollama", "a \"quoted\" #model: x") };
            Assert.Equal("a \"quoted\" #model: x", StoreConfig.Parse(odd.ToYaml(), "e").Embeddings!.Model);

            Assert.Null(StoreConfig.Parse(new StoreConfig().ToYaml(), "e").Embeddings);
            Assert.DoesNotContain("embeddings", new StoreConfig().ToYaml());
            Assert.Null(StoreConfig.Parse("format: 2\nembeddings:\n", "e").Embeddings);
            Assert.Null(StoreConfig.Parse("format: 1\nprovenance:\n  track: [shared]\n", "e").Embeddings);

            foreach (var bad in new[]
            {
                "embeddings: [a]", "embeddings:\n  model: m", "embeddings:\n  provider: azure\n  model: m", "embeddings:\n  provider: ollama",
                "embeddings:\n  provider: ollama\n  model: m\n  apikey: X", "embeddings:\n  provider: ollama\n  model: m\n  endpoint: localhost:11434",
                "embeddings:\n  provider: ollama\n  model: m\n  apiKeyEnv: 'A B'", "embeddings:\n  provider: ollama\n  model: ''",
            })
                Throws(EngramErrorIds.MalformedStoreConfig, () => StoreConfig.Parse("format: 2\n" + bad + "\n", "engram.yaml"));
        }

        [Fact]
        public void Rewriting_the_configuration_keeps_the_embeddings_section()
        {
            _t.Set("shared", "a", "x");
            var path = _t.P("engram.yaml");
            File.AppendAllText(path, "embeddings:\n  provider: ollama\n  model: nomic-embed-text\n");
            var store = _t.Reopen();
            store.SetRetention("session", new RetentionPolicy(TimeSpan.FromDays(7), null));
            var config = StoreConfig.Parse(File.ReadAllText(path), path);
            Assert.Equal("nomic-embed-text", config.Embeddings!.Model);
            Assert.Equal("session", config.NamespaceRetention.Keys.Single());
        }

        // ------------------------------------------------------------------ configured clients, over HTTP

        [Fact]
        public void Configured_openai_endpoint_embeds_over_http_with_the_key_from_the_environment()
        {
            SeedMeaning();
            using var server = new LoopbackEmbeddingServer(BagOfWordsGenerator.Embed);
            var config = new StoreConfig { Embeddings = new EmbeddingsConfig("openai", "fake-embed", server.BaseAddress + "/v1", "ENGRAM_TEST_API_KEY") };
            using (var search = EmbeddingGeneratorFactory.CreateSearch(config, null, name => name == "ENGRAM_TEST_API_KEY" ? "sk-test" : null))
            {
                var hits = search.Search(S, "car repair");
                Assert.Equal("garage", hits[0].Key);
                Assert.Equal(3, search.Embedded);
            }
            Assert.All(server.Authorizations, a => Assert.Equal("Bearer sk-test", a));
            Assert.All(S.GetVectors("longterm"), v => Assert.Equal("fake-embed", v.Model));
            Assert.Equal(BagOfWordsGenerator.Embed("garage\nthe automobile needs new tyres before winter"), S.GetVectors("longterm").Single(v => v.Key == "garage").Vector);
        }

    }
}
