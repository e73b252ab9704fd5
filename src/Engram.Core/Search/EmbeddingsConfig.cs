using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace Engram.Core.Search
{
    /// <summary>
    /// The optional <c>embeddings:</c> section of engram.yaml: which embedding generator semantic search uses.
    /// <code>
    /// embeddings:
    ///   provider: ollama                 # ollama | openai (any OpenAI-compatible /v1/embeddings endpoint)
    ///   endpoint: http://localhost:11434 # optional; default per provider
    ///   model: nomic-embed-text
    ///   apiKeyEnv: OPENAI_API_KEY        # optional: the name of the environment variable holding the API key
    /// </code>
    /// Older builds ignore the section (no format change). Other keys in it are refused, so a misspelt key is an
    /// error rather than silently ignored.
    /// </summary>
    public sealed class EmbeddingsConfig
    {
        public const string Ollama = "ollama";
        public const string OpenAI = "openai";

        public const string DefaultOllamaEndpoint = "http://localhost:11434";
        public const string DefaultOpenAIEndpoint = "https://api.openai.com/v1";

        private static readonly string[] Keys = { "provider", "endpoint", "model", "apiKeyEnv" };

        public EmbeddingsConfig(string provider, string model, string? endpoint = null, string? apiKeyEnv = null)
        {
            Provider = provider;
            Model = model;
            Endpoint = endpoint;
            ApiKeyEnv = apiKeyEnv;
        }

        /// <summary><see cref="Ollama"/> or <see cref="OpenAI"/>.</summary>
        public string Provider { get; }

        /// <summary>The embedding model, as the provider names it (also recorded with every stored vector: vectors of
        /// another model are recomputed).</summary>
        public string Model { get; }

        /// <summary>The endpoint as configured; null for the provider's default (see <see cref="EffectiveEndpoint"/>).
        /// For <c>openai</c> it is the base address the API paths follow (…/v1).</summary>
        public string? Endpoint { get; }

        /// <summary>The name of the environment variable holding the API key (the key itself is never stored).</summary>
        public string? ApiKeyEnv { get; }

        /// <summary>
        /// The environment variable in which the user names, outside any store, one more variable an API key may be
        /// read from (for a key whose variable does not end in <c>_API_KEY</c>).
        /// </summary>
        public const string KeyVariableOverride = "ENGRAM_EMBEDDINGS_API_KEY_ENV";

        /// <summary>The rule, as error messages state it.</summary>
        public const string KeyVariableRule =
            "an API key is read only from an environment variable whose name ends in '_API_KEY' (e.g. OPENAI_API_KEY, ENGRAM_EMBEDDINGS_API_KEY), " +
            "or from the one variable named by $env:" + KeyVariableOverride + " (set outside the store)";

        /// <summary>
        /// Whether an API key may be read from the variable <paramref name="name"/>: the store's configuration names the
        /// variable, so without this rule anyone who can write engram.yaml could have any secret of the environment
        /// (a PostgreSQL password in $env:ENGRAM_STORE, a cloud token…) sent to an endpoint of their choice.
        /// </summary>
        public static bool IsAllowedKeyVariable(string name, Func<string, string?>? environment = null)
        {
            environment ??= Environment.GetEnvironmentVariable;
            if (name.EndsWith("_API_KEY", StringComparison.OrdinalIgnoreCase) && name.Length > "_API_KEY".Length) return true;
            var named = environment(KeyVariableOverride)?.Trim();
            return !string.IsNullOrEmpty(named) && string.Equals(named, name, StringComparison.Ordinal);
        }

        /// <summary>Whether an API key may be sent to <paramref name="endpoint"/>: over https, or over http to this machine
        /// only (localhost, 127.0.0.0/8, ::1).</summary>
        public static bool IsSecureForKey(Uri endpoint)
        {
            if (endpoint.Scheme == Uri.UriSchemeHttps) return true;
            if (endpoint.Scheme != Uri.UriSchemeHttp) return false;
            if (endpoint.HostNameType == UriHostNameType.IPv4 || endpoint.HostNameType == UriHostNameType.IPv6)
                return System.Net.IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip);
            var host = endpoint.Host.TrimEnd('.');
            return host.Equals("localhost", StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>The InsecureEndpoint error: an API key would be sent in clear text to another machine.</summary>
        public static EngramException InsecureEndpoint(Uri endpoint) =>
            new EngramException(EngramErrorIds.InsecureEndpoint, EngramErrorKind.InvalidArgument,
                $"The embedding endpoint '{endpoint.GetLeftPart(UriPartial.Authority)}' is plain http to another machine, and an API key is never sent in clear text: " +
                "use an https address (plain http is allowed only to localhost, 127.0.0.0/8 and ::1), or remove apiKeyEnv if the service needs no key.", endpoint.GetLeftPart(UriPartial.Authority));

        public string EffectiveEndpoint => Endpoint ?? (Provider == OpenAI ? DefaultOpenAIEndpoint : DefaultOllamaEndpoint);

        /// <summary>The lines to add to engram.yaml for a local Ollama and for OpenAI (shown by EmbeddingsNotConfigured).</summary>
        public static string Example =>
            "embeddings:\n  provider: ollama\n  endpoint: " + DefaultOllamaEndpoint + "\n  model: nomic-embed-text\n" +
            "\nor, for OpenAI or any OpenAI-compatible /v1/embeddings endpoint:\n\n" +
            "embeddings:\n  provider: openai\n  endpoint: " + DefaultOpenAIEndpoint + "\n  model: text-embedding-3-small\n  apiKeyEnv: OPENAI_API_KEY\n";

        internal void AppendYaml(StringBuilder sb)
        {
            sb.Append("# Semantic search (Find-EngramMemory -Semantic): provider ollama or openai (any OpenAI-compatible endpoint),\n");
            sb.Append("# the endpoint, the embedding model, and the name of the environment variable holding the API key.\n");
            sb.Append("embeddings:\n");
            sb.Append("  provider: ").Append(Provider).Append('\n');
            if (Endpoint != null) sb.Append("  endpoint: ").Append(Quote(Endpoint)).Append('\n');
            sb.Append("  model: ").Append(Quote(Model)).Append('\n');
            if (ApiKeyEnv != null) sb.Append("  apiKeyEnv: ").Append(Quote(ApiKeyEnv)).Append('\n');
        }

        /// <summary>Plain when that reads back as the same string, else double-quoted.</summary>
        private static string Quote(string s)
        {
            bool plain = s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "._/:@+-".IndexOf(c) >= 0)
                && char.IsLetterOrDigit(s[0]) && !s.Contains(": ") && !s.EndsWith(":", StringComparison.Ordinal);
            if (plain) return s;
            var sb = new StringBuilder("\"");
            foreach (var c in s)
            {
                if (c == '"' || c == '\\') sb.Append('\\').Append(c);
                else if (c < 0x20) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                else sb.Append(c);
            }
            return sb.Append('"').ToString();
        }

        /// <summary>Parses the section; null when it is empty (<c>embeddings:</c> alone).</summary>
        internal static EmbeddingsConfig? Parse(YamlNode node, string path)
        {
            if (node is YamlScalarNode empty && (string.IsNullOrEmpty(empty.Value) || empty.Value == "null" || empty.Value == "~")) return null;
            if (!(node is YamlMappingNode map)) throw StoreConfig.Malformed(path, "'embeddings' must be a mapping");
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var kv in map.Children)
            {
                var name = (kv.Key as YamlScalarNode)?.Value ?? "";
                if (!Keys.Contains(name))
                    throw StoreConfig.UnknownKey(path, "embeddings", name, Keys);
                var value = (kv.Value as YamlScalarNode)?.Value;
                if (string.IsNullOrWhiteSpace(value)) throw StoreConfig.Malformed(path, $"'embeddings.{name}' must be a non-empty text");
                values[name] = value!.Trim();
            }
            values.TryGetValue("provider", out var provider);
            values.TryGetValue("model", out var model);
            values.TryGetValue("endpoint", out var endpoint);
            values.TryGetValue("apiKeyEnv", out var apiKeyEnv);
            return Validated(provider, model, endpoint, apiKeyEnv, why => StoreConfig.Malformed(path, why));
        }

        /// <summary>
        /// A configuration given by a caller (Set-EngramEmbedding), checked by the same rules as the engram.yaml section;
        /// a bad value is an <c>InvalidConfiguration</c> error.
        /// </summary>
        public static EmbeddingsConfig Create(string provider, string model, string? endpoint = null, string? apiKeyEnv = null) =>
            Validated(provider?.Trim(), model?.Trim(), endpoint?.Trim(), apiKeyEnv?.Trim(), why =>
                new EngramException(EngramErrorIds.InvalidConfiguration, EngramErrorKind.InvalidArgument, $"The embeddings configuration is not valid: {why}."),
                checkKeyRule: true);

        private static EmbeddingsConfig Validated(string? provider, string? model, string? endpoint, string? apiKeyEnv, Func<string, Exception> fail, bool checkKeyRule = false)
        {
            if (string.IsNullOrEmpty(provider)) throw fail("'embeddings.provider' is missing (ollama or openai)");
            provider = provider!.ToLowerInvariant();
            if (provider != Ollama && provider != OpenAI)
                throw fail($"'embeddings.provider' must be 'ollama' or 'openai', not '{provider}'");
            if (string.IsNullOrEmpty(model)) throw fail("'embeddings.model' is missing (the embedding model's name, e.g. nomic-embed-text)");
            if (model!.Any(char.IsControl)) throw fail("'embeddings.model' must not contain control characters");
            if (endpoint != null && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https")))
                throw fail($"'embeddings.endpoint' must be an absolute http or https address, not '{endpoint}'");
            if (apiKeyEnv != null && (apiKeyEnv.Length == 0 || apiKeyEnv.IndexOf('=') >= 0 || apiKeyEnv.Any(char.IsWhiteSpace) || apiKeyEnv.Any(char.IsControl)))
                throw fail($"'embeddings.apiKeyEnv' must be the name of an environment variable, not '{apiKeyEnv}'");
            if (checkKeyRule && apiKeyEnv != null && !IsAllowedKeyVariable(apiKeyEnv))
                throw fail($"'{apiKeyEnv}' cannot hold the API key: {KeyVariableRule}");
            if (checkKeyRule && apiKeyEnv != null)
            {
                var effective = new EmbeddingsConfig(provider, model!, endpoint, apiKeyEnv);
                var target = new Uri(effective.EffectiveEndpoint, UriKind.Absolute);
                if (!IsSecureForKey(target)) throw InsecureEndpoint(target);
            }
            return new EmbeddingsConfig(provider, model!, endpoint, apiKeyEnv);
        }
    }
}
