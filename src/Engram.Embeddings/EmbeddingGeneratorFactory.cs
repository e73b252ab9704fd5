using System;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http;
using System.Net.Http.Headers;
using Engram.Core;
using Engram.Core.Search;
using Microsoft.Extensions.AI;
using OllamaSharp;
using OpenAI;
using OpenAI.Embeddings;

namespace Engram.Embeddings
{
    /// <summary>
    /// Creates the <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> an <see cref="EmbeddingsConfig"/> describes,
    /// with maintained clients: <c>ollama</c> → OllamaSharp's <see cref="OllamaApiClient"/> (Ollama's native
    /// <c>/api/embed</c>), <c>openai</c> → the OpenAI SDK's <see cref="EmbeddingClient"/> through
    /// Microsoft.Extensions.AI.OpenAI (<c>POST {endpoint}/embeddings</c>: OpenAI, Azure-compatible gateways,
    /// LM Studio, vLLM, llama.cpp, Ollama's <c>/v1</c>…). The module and engram-mcp pass it to
    /// <see cref="SemanticSearch.FromConfig"/>, which checks first that the store has an <c>embeddings:</c> section.
    /// </summary>
    public static class EmbeddingGeneratorFactory
    {
        /// <summary>How long one request may take.</summary>
        public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);

        /// <summary>The semantic search for a store's configuration, with the generator its <c>embeddings:</c> section
        /// describes (<see cref="SemanticSearch.FromConfig"/> with <see cref="Create(EmbeddingsConfig, Func{string, string?}?)"/>).
        /// Throws EmbeddingsNotConfigured when there is no such section (the message shows the engram.yaml lines to add)
        /// or when its API key variable is not set.</summary>
        /// <remarks>What the cmdlets and engram-mcp call: its signature holds only Engram types, so the module's cmdlet
        /// assembly, loaded by PowerShell, never names a Microsoft.Extensions.AI type (those load only in the module's
        /// private load context, with Engram.Core).</remarks>
        public static SemanticSearch CreateSearch(StoreConfig config, string? storeRoot = null, Func<string, string?>? environment = null) =>
            SemanticSearch.FromConfig(config, storeRoot, e => Create(e, environment));

        /// <summary>The generator <paramref name="config"/> describes (the API key is read from the environment now).</summary>
        public static IEmbeddingGenerator<string, Embedding<float>> Create(EmbeddingsConfig config, Func<string, string?>? environment = null)
        {
            if (config == null) throw new ArgumentNullException(nameof(config));
            environment ??= Environment.GetEnvironmentVariable;
            string? apiKey = null;
            var endpoint = new Uri(config.EffectiveEndpoint, UriKind.Absolute);
            if (config.ApiKeyEnv != null)
            {
                // The configuration names the variable, so it may come from anyone who can write the store: only
                // variables meant for API keys are read, and a key only leaves this machine over https.
                if (!EmbeddingsConfig.IsAllowedKeyVariable(config.ApiKeyEnv, environment))
                    throw new EngramException(EngramErrorIds.InvalidConfiguration, EngramErrorKind.InvalidArgument,
                        $"The embeddings configuration names the environment variable '{config.ApiKeyEnv}' for the API key, which is refused: {EmbeddingsConfig.KeyVariableRule}. " +
                        $"Rename the variable (e.g. ENGRAM_EMBEDDINGS_API_KEY) and set apiKeyEnv (Set-EngramEmbedding -ApiKeyVariable), or set $env:{EmbeddingsConfig.KeyVariableOverride} = '{config.ApiKeyEnv}'.", config.ApiKeyEnv);
                if (!EmbeddingsConfig.IsSecureForKey(endpoint)) throw EmbeddingsConfig.InsecureEndpoint(endpoint);
                apiKey = environment(config.ApiKeyEnv);
                if (string.IsNullOrEmpty(apiKey))
                    throw new EngramException(EngramErrorIds.EmbeddingsNotConfigured, EngramErrorKind.InvalidOperation,
                        $"The embedding API key is missing: the environment variable '{config.ApiKeyEnv}' (embeddings.apiKeyEnv in {StoreConfig.FileName}) is not set. " +
                        $"Set it to the key for {config.EffectiveEndpoint}, e.g. $env:{config.ApiKeyEnv} = '<key>'.", config.ApiKeyEnv);
            }

            if (config.Provider == EmbeddingsConfig.OpenAI)
            {
                if (apiKey == null && endpoint.Host.Equals("api.openai.com", StringComparison.OrdinalIgnoreCase))
                    throw new EngramException(EngramErrorIds.EmbeddingsNotConfigured, EngramErrorKind.InvalidOperation,
                        $"OpenAI needs an API key: add 'apiKeyEnv: OPENAI_API_KEY' to the 'embeddings:' section of {StoreConfig.FileName} and set that environment variable.", config.EffectiveEndpoint);
                var options = new OpenAIClientOptions
                {
                    Endpoint = endpoint,
                    NetworkTimeout = RequestTimeout,
                    RetryPolicy = new ClientRetryPolicy(maxRetries: 1),
                };
                // Local OpenAI-compatible servers take any key; the SDK insists on a non-empty one.
                var client = new EmbeddingClient(config.Model, new ApiKeyCredential(apiKey ?? "no-key"), options);
                return Scrubbed(client.AsIEmbeddingGenerator(), apiKey);
            }

            var baseAddress = endpoint.AbsoluteUri.EndsWith("/", StringComparison.Ordinal) ? endpoint : new Uri(endpoint.AbsoluteUri + "/");
            var http = new HttpClient { BaseAddress = baseAddress, Timeout = RequestTimeout };
            if (apiKey != null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            return Scrubbed(new OwningGenerator(new OllamaApiClient(http, config.Model), http), apiKey);
        }

        private static IEmbeddingGenerator<string, Embedding<float>> Scrubbed(IEmbeddingGenerator<string, Embedding<float>> inner, string? apiKey) =>
            string.IsNullOrEmpty(apiKey) ? inner : new SecretScrubbingGenerator(inner, apiKey!);

        /// <summary>Disposes the HttpClient it was given along with the generator.</summary>
        private sealed class OwningGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
        {
            private readonly IDisposable _owned;

            public OwningGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, IDisposable owned) : base(inner) { _owned = owned; }

            protected override void Dispose(bool disposing)
            {
                base.Dispose(disposing);
                if (disposing) _owned.Dispose();
            }
        }
    }
}
