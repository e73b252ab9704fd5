using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core;
using Engram.Core.Search;
using Engram.Embeddings;
using Engram.Tests.Shared;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    /// <summary>
    /// The embedding API key: read only from a variable meant for it, sent only over https (or http to this machine),
    /// and never shown in an error, even when the server echoes the Authorization header.
    /// </summary>
    public sealed class SecretsTests : IDisposable
    {
        private const string Key = "sk-secret-0123456789abcdef";
        private readonly TempStore _t = new TempStore();

        public void Dispose() => _t.Dispose();

        private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
            name => vars.Where(v => v.Name == name).Select(v => v.Value).FirstOrDefault();

        private static IEnumerable<string> Messages(Exception? ex)
        {
            for (; ex != null; ex = ex.InnerException)
            {
                yield return ex.Message;
                yield return ex.ToString();
            }
        }

        [Theory]
        [InlineData("PATH")]
        [InlineData("ENGRAM_STORE")] // may hold a PostgreSQL connection string with its password
        [InlineData("AWS_SECRET_ACCESS_KEY")]
        [InlineData("_API_KEY")]
        public void A_key_variable_not_meant_for_api_keys_is_refused_naming_the_rule(string variable)
        {
            var config = new EmbeddingsConfig("openai", "m", "https://gw.example.org/v1", variable);
            var ex = Throws(EngramErrorIds.InvalidConfiguration, () => EmbeddingGeneratorFactory.Create(config, Env((variable, Key))));
            Assert.Contains("_API_KEY", ex.Message);
            Assert.Contains(EmbeddingsConfig.KeyVariableOverride, ex.Message);
            Assert.DoesNotContain(Key, ex.Message);

            // Set-EngramEmbedding's path refuses it before anything is stored.
            var ex2 = Throws(EngramErrorIds.InvalidConfiguration, () => EmbeddingsConfig.Create("openai", "m", "https://gw.example.org/v1", variable));
            Assert.Contains("_API_KEY", ex2.Message);

            // A store whose engram.yaml names such a variable still reads and writes (only the key is refused).
            _t.Set("shared", "a", "x");
            File.AppendAllText(_t.P("engram.yaml"), $"embeddings:\n  provider: openai\n  model: m\n  apiKeyEnv: {variable}\n");
            var store = _t.Reopen();
            Assert.Equal(variable, store.Config.Embeddings!.ApiKeyEnv);
            Assert.Equal("x", store.Get("shared", "a").Value);
        }

        [Fact]
        public void Variables_ending_in_API_KEY_and_the_one_named_outside_the_store_are_accepted()
        {
            Assert.True(EmbeddingsConfig.IsAllowedKeyVariable("OPENAI_API_KEY", Env()));
            Assert.True(EmbeddingsConfig.IsAllowedKeyVariable("ENGRAM_EMBEDDINGS_API_KEY", Env()));
            Assert.True(EmbeddingsConfig.IsAllowedKeyVariable("my_api_key", Env()));
            Assert.False(EmbeddingsConfig.IsAllowedKeyVariable("MY_TOKEN", Env()));
            Assert.True(EmbeddingsConfig.IsAllowedKeyVariable("MY_TOKEN", Env((EmbeddingsConfig.KeyVariableOverride, "MY_TOKEN"))));
            Assert.False(EmbeddingsConfig.IsAllowedKeyVariable("OTHER_TOKEN", Env((EmbeddingsConfig.KeyVariableOverride, "MY_TOKEN"))));

            using var generator = EmbeddingGeneratorFactory.Create(new EmbeddingsConfig("openai", "m", "https://gw.example.org/v1", "MY_TOKEN"),
                Env((EmbeddingsConfig.KeyVariableOverride, "MY_TOKEN"), ("MY_TOKEN", Key)));
            Assert.NotNull(generator);
        }

        [Theory]
        [InlineData("openai", "http://gw.example.org/v1")]
        [InlineData("openai", "http://10.0.0.5:8080/v1")]
        [InlineData("ollama", "http://[2001:db8::1]:11434")]
        [InlineData("ollama", "http://localhost.example.org:11434")]
        public void A_key_is_never_sent_over_plain_http_to_another_machine(string provider, string endpoint)
        {
            var config = new EmbeddingsConfig(provider, "m", endpoint, "TEST_API_KEY");
            var ex = Throws(EngramErrorIds.InsecureEndpoint, () => EmbeddingGeneratorFactory.Create(config, Env(("TEST_API_KEY", Key))));
            Assert.Contains("https", ex.Message);
            Assert.DoesNotContain(Key, ex.Message);
            Throws(EngramErrorIds.InsecureEndpoint, () => EmbeddingsConfig.Create(provider, "m", endpoint, "TEST_API_KEY"));

            // Without a key the same endpoint is fine (nothing secret is sent).
            using var keyless = EmbeddingGeneratorFactory.Create(new EmbeddingsConfig(provider, "m", endpoint), Env());
            Assert.NotNull(EmbeddingsConfig.Create(provider, "m", endpoint));
        }

        [Theory]
        [InlineData("http://localhost:11434")]
        [InlineData("http://LOCALHOST:11434")]
        [InlineData("http://127.0.0.1:8080/v1")]
        [InlineData("http://127.8.9.10/v1")]
        [InlineData("http://[::1]:8080/v1")]
        [InlineData("https://api.example.org/v1")]
        public void Https_and_loopback_http_may_carry_a_key(string endpoint)
        {
            Assert.True(EmbeddingsConfig.IsSecureForKey(new Uri(endpoint)));
            using var generator = EmbeddingGeneratorFactory.Create(new EmbeddingsConfig("openai", "m", endpoint, "TEST_API_KEY"), Env(("TEST_API_KEY", Key)));
            Assert.NotNull(EmbeddingsConfig.Create("openai", "m", endpoint, "TEST_API_KEY"));
        }

        [Theory]
        [InlineData("openai", 401)]
        [InlineData("openai", 500)]
        [InlineData("ollama", 401)]
        [InlineData("ollama", 500)]
        public void A_server_echoing_the_key_in_its_error_never_puts_it_into_the_error(string provider, int status)
        {
            _t.Set("longterm", "garage", "the automobile needs new tyres");
            using var server = new LoopbackEmbeddingServer(BagOfWordsGenerator.Embed) { EchoAuthorizationWithStatus = status };
            var endpoint = provider == "openai" ? server.BaseAddress + "/v1" : server.BaseAddress;
            var config = new StoreConfig { Embeddings = new EmbeddingsConfig(provider, "m", endpoint, "TEST_API_KEY") };
            using var search = EmbeddingGeneratorFactory.CreateSearch(config, null, Env(("TEST_API_KEY", Key)));
            var ex = Throws(EngramErrorIds.EmbeddingFailed, () => search.Search(_t.Store, "car"));

            Assert.Contains("Bearer " + Key, server.Authorizations); // the server did get (and echo) the key
            Assert.All(Messages(ex), m => Assert.DoesNotContain(Key, m));
            if (provider == "openai") Assert.Contains("invalid credentials: Bearer ***", ex.Message); // what the server said is kept, minus the key
            Assert.IsType<RedactedException>(ex.InnerException);
        }

        [Fact]
        public void Scrub_removes_every_occurrence_also_url_encoded()
        {
            Assert.Equal("a *** b *** c", RedactedException.Scrub("a k/y= b k/y= c", "k/y="));
            Assert.Equal("x *** y", RedactedException.Scrub("x " + Uri.EscapeDataString("k/y=") + " y", "k/y="));
            Assert.Equal("nothing", RedactedException.Scrub("nothing", "k"));
            var inner = new InvalidOperationException("inner " + Key);
            var copy = RedactedException.From(new InvalidOperationException("outer " + Key, inner), Key);
            Assert.All(Messages(copy), m => Assert.DoesNotContain(Key, m));
            Assert.Contains(typeof(InvalidOperationException).FullName!, copy.ToString());
        }
    }
}
