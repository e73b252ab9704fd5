using System;
using System.IO;
using Engram.Core;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    /// <summary>Nothing is silently accepted: unknown engram.yaml keys, its maxValueBytes.</summary>
    public sealed class StrictInputTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();

        public void Dispose() => _t.Dispose();

        [Theory]
        [InlineData("durabilty: full", "the top level", "durabilty", "durability")]
        [InlineData("Durability: full", "the top level", "Durability", "durability")]
        [InlineData("retension: forever", "the top level", "retension", "retention")]
        [InlineData("maxValueByte: 10", "the top level", "maxValueByte", "maxValueBytes")]
        [InlineData("provenance:\n  trak: all", "'provenance'", "trak", "track")]
        [InlineData("retention:\n  defualt: forever", "'retention'", "defualt", "default")]
        [InlineData("retention:\n  default: {maxAge: 7d, maxEntrys: 3}", "'retention.default'", "maxEntrys", "maxEntries")]
        [InlineData("retention:\n  namespaces:\n    session: {maxage: 7d}", "'retention.namespaces.session'", "maxage", "maxAge")]
        [InlineData("embeddings:\n  provider: ollama\n  model: m\n  apikeyenv: X_API_KEY", "'embeddings'", "apikeyenv", "apiKeyEnv")]
        public void An_unknown_key_is_refused_naming_it_and_the_nearest_known_one(string yaml, string where, string key, string meant)
        {
            var ex = Throws(EngramErrorIds.MalformedStoreConfig, () => StoreConfig.Parse("format: 2\n" + yaml + "\n", "engram.yaml"));
            Assert.Contains($"{where} has an unknown key '{key}'; did you mean '{meant}'?", ex.Message);
            Assert.Contains("engram.yaml", ex.Message);
        }

        [Fact]
        public void A_key_like_no_known_one_is_refused_with_the_known_keys()
        {
            var ex = Throws(EngramErrorIds.MalformedStoreConfig, () => StoreConfig.Parse("format: 2\nzzzzzzzzzzzz: 1\n", "engram.yaml"));
            Assert.DoesNotContain("did you mean", ex.Message);
            Assert.Contains("known keys: format, provenance, durability, retention, embeddings, maxValueBytes", ex.Message);
        }

        [Fact]
        public void A_misspelt_key_in_a_store_refuses_every_operation_and_changes_nothing()
        {
            _t.Set("shared", "a", "x");
            File.AppendAllText(_t.P("engram.yaml"), "durabilty: full\n");
            var before = File.ReadAllText(_t.P("shared", "a.yaml"));
            var store = _t.Reopen();
            Throws(EngramErrorIds.MalformedStoreConfig, () => store.Set(new SetRequest("shared", "a", "y")));
            Assert.Equal(before, File.ReadAllText(_t.P("shared", "a.yaml")));
        }

        [Fact]
        public void Spelling_distance_is_levenshtein()
        {
            Assert.Equal(0, Spelling.Distance("abc", "abc"));
            Assert.Equal(1, Spelling.Distance("durabilty", "durability"));
            Assert.Equal(3, Spelling.Distance("kitten", "sitting"));
            Assert.Equal(3, Spelling.Distance("", "abc"));
            Assert.Equal("track", Spelling.Nearest("trak", new[] { "track" }));
            Assert.Null(Spelling.Nearest("qqqqqqqq", new[] { "track" }));
        }

        // ------------------------------------------------------------------ maxValueBytes

        [Fact]
        public void MaxValueBytes_defaults_to_16_MiB_and_round_trips()
        {
            var config = new StoreConfig();
            Assert.Equal(16L * 1024 * 1024, config.MaxValueBytes);
            Assert.Contains("# maxValueBytes: 16777216", config.ToYaml());
            Assert.Equal(16L * 1024 * 1024, StoreConfig.Parse(config.ToYaml(), "e").MaxValueBytes);

            config.MaxValueBytes = 1000;
            Assert.Contains("\nmaxValueBytes: 1000\n", config.ToYaml());
            Assert.Equal(1000, StoreConfig.Parse(config.ToYaml(), "e").MaxValueBytes);
            Assert.Equal(1000, new StoreConfig().KeepSectionsOf(config).MaxValueBytes);
            var explicitDefault = new StoreConfig { MaxValueBytes = StoreConfig.DefaultMaxValueBytes }.KeepSectionsOf(config);
            Assert.Equal(StoreConfig.DefaultMaxValueBytes, explicitDefault.MaxValueBytes);
            Assert.Contains("\nmaxValueBytes: 16777216\n", explicitDefault.ToYaml());

            foreach (var bad in new[] { "0", "-1", "1.5", "lots", "[1]", "99999999999999999999" })
                Assert.Contains("'maxValueBytes' must be a positive whole number",
                    Throws(EngramErrorIds.MalformedStoreConfig, () => StoreConfig.Parse("format: 2\nmaxValueBytes: " + bad + "\n", "e")).Message);
        }
    }
}
