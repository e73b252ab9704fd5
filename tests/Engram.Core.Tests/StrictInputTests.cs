using System;
using System.IO;
using System.Linq;
using Engram.Core;
using Engram.Core.Values;
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
        public void An_oversized_memory_file_planted_by_hand_is_refused_unread()
        {
            _t.Store.Initialize(new StoreConfig { MaxValueBytes = 1000, TrackAll = true });
            _t.Set("session", "small", "ok");
            _t.Set("session", "planted", "soon large");
            var path = _t.P("session", "planted.yaml");
            var text = File.ReadAllText(path);
            long limit = _t.Store.Config.MaxMemoryFileBytes;
            Assert.Equal(1000L * StoreConfig.ReadAllowanceFactor + 1024 * 1024, limit);
            // Still a valid memory file, just larger than any value within the limit can make.
            File.WriteAllText(path, text.Replace("value: soon large\n", "value: |-\n" + string.Concat(Enumerable.Repeat("  " + new string('x', 78) + "\n", (int)(limit / 80) + 1))));
            Assert.True(new FileInfo(path).Length > limit);
            var before = StoreSnapshot.Take(_t.Root);

            var store = _t.Reopen();
            var ex = Throws(EngramErrorIds.ValueTooLarge, () => store.Get("session", "planted"));
            Assert.Contains(path, ex.Message);
            Assert.Contains("maxValueBytes", ex.Message);
            Throws(EngramErrorIds.ValueTooLarge, () => store.Set(new SetRequest("session", "planted", "x")));
            Assert.Equal("ok", store.Get("session", "small").Value);
            var report = store.Verify();
            var finding = Assert.Single(report.Findings, f => f.Kind == "ValueTooLarge");
            Assert.Equal(FindingSeverity.Error, finding.Severity);
            Assert.False(report.Healthy);
            StoreSnapshot.AssertSameFiles(before, StoreSnapshot.Take(_t.Root), "after the refused reads and write");

            // Raising the limit makes it readable again.
            File.WriteAllText(_t.P("engram.yaml"), File.ReadAllText(_t.P("engram.yaml")).Replace("maxValueBytes: 1000", "maxValueBytes: 200000"));
            Assert.StartsWith("xxxx", (string)_t.Reopen().Get("session", "planted").Value!);
        }

        [Fact]
        public void Size_counts_utf8_text_binary_as_base64_and_nesting()
        {
            Assert.Equal(3, ValueCodec.Measure("abc", 0, exact: true, long.MaxValue));
            Assert.Equal(4, ValueCodec.Measure("éé", 0, exact: true, long.MaxValue));
            Assert.Equal(8, ValueCodec.Measure(42, 0, exact: true, long.MaxValue));
            Assert.Equal(4, ValueCodec.Measure(new byte[3], 0, exact: true, long.MaxValue));
            Assert.Equal(0, ValueCodec.Measure(Array.Empty<byte>(), 0, exact: true, long.MaxValue));
            var map = new EngramMap { ["k"] = "vv", ["l"] = new object?[] { 1 } };
            // k: 2 (indent) + 1 + 2; l: 2 + 1 + (4 (indent) + 8)
            Assert.Equal(5 + 15, ValueCodec.Measure(map, 0, exact: true, long.MaxValue));
            Throws(EngramErrorIds.ValueTooDeep, () => ValueCodec.Measure(Nest(70), 0, exact: true, long.MaxValue));
            ValueCodec.CheckSize(new string('x', 10), 10);
            Throws(EngramErrorIds.ValueTooLarge, () => ValueCodec.CheckSize(new string('x', 11), 10));
        }

        private static object?[] Nest(int depth) => depth == 0 ? Array.Empty<object?>() : new object?[] { Nest(depth - 1) };

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
