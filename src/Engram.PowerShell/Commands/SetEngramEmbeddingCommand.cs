using System.Management.Automation;
using Engram.Core;
using Engram.Core.Search;

namespace Engram.PowerShell.Commands
{
    /// <summary>Sets (or removes) the embedding model Find-EngramMemory -Semantic uses, on any backend.</summary>
    [Cmdlet(VerbsCommon.Set, "EngramEmbedding", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Configure")]
    [OutputType(typeof(EngramStoreInfo))]
    public sealed class SetEngramEmbeddingCommand : EngramCmdlet
    {
        /// <summary>ollama, or openai (any OpenAI-compatible /v1/embeddings endpoint).</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Configure")]
        [ValidateSet(EmbeddingsConfig.Ollama, EmbeddingsConfig.OpenAI, IgnoreCase = true)]
        public string Provider { get; set; } = "";

        /// <summary>The embedding model, as the provider names it (e.g. nomic-embed-text, text-embedding-3-small).</summary>
        [Parameter(Mandatory = true, Position = 1, ParameterSetName = "Configure")]
        [ValidateNotNullOrEmpty]
        public string Model { get; set; } = "";

        /// <summary>The provider's address (default: http://localhost:11434 for ollama, https://api.openai.com/v1 for openai).</summary>
        [Parameter(ParameterSetName = "Configure")]
        public System.Uri? Endpoint { get; set; }

        /// <summary>The name of the environment variable holding the API key (the key itself is never stored).</summary>
        [Parameter(ParameterSetName = "Configure")]
        [ValidateNotNullOrEmpty]
        public string? ApiKeyVariable { get; set; }

        /// <summary>Remove the embeddings configuration (semantic search is then refused with EmbeddingsNotConfigured).</summary>
        [Parameter(Mandatory = true, ParameterSetName = "Disable")]
        public SwitchParameter Disable { get; set; }

        /// <summary>Emit the store's configuration as written (Engram.StoreInfo); by default nothing is output.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                var embeddings = Disable ? null : EmbeddingsConfig.Create(Provider, Model, Endpoint?.OriginalString, ApiKeyVariable);
                var action = embeddings == null ? "Remove the embeddings configuration"
                    : $"Use {embeddings.Provider} model '{embeddings.Model}' at {embeddings.EffectiveEndpoint} for semantic search";
                if (!ShouldProcess(store.Root, action)) return;
                var config = store.SetEmbeddings(embeddings);
                if (PassThru) WriteObject(EngramMemory.Wrap(new EngramStoreInfo(store.Root, config, store.Backend), EngramStoreInfo.TypeName));
            });
        }
    }
}
