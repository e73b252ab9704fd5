using System.Linq;
using System.Management.Automation;
using Engram.Core;
using Engram.Core.Storage;

namespace Engram.PowerShell.Commands
{
    /// <summary>Creates an Engram store (its folder and engram.yaml) explicitly, with its provenance policy.</summary>
    [Cmdlet(VerbsData.Initialize, "EngramStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = "Create")]
    [OutputType(typeof(EngramStoreInfo))]
    public sealed class InitializeEngramStoreCommand : EngramCmdlet
    {
        /// <summary>Namespaces tracked by default (replaces the default list: shared, longterm).</summary>
        [Parameter]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string[]? TrackedNamespace { get; set; }

        /// <summary>Track provenance in every namespace.</summary>
        [Parameter]
        public SwitchParameter TrackAll { get; set; }

        /// <summary>Normal (survives a killed process) or Full (fsync before each rename: no torn files after a power cut).</summary>
        [Parameter]
        public EngramDurability Durability { get; set; } = EngramDurability.Normal;

        /// <summary>The largest value a write accepts, in bytes (maxValueBytes; default 16 MiB). With -Force on an existing store, the store's limit is kept unless this is given.</summary>
        [Parameter]
        [ValidateRange(1, long.MaxValue)]
        public long MaxValueBytes { get; set; }

        /// <summary>Rewrite the provenance policy and durability of an existing store (retention, embeddings, memories and history are kept).</summary>
        [Parameter(ParameterSetName = "Rewrite")]
        public SwitchParameter Force { get; set; }

        /// <summary>Make sure the store exists: create it when it does not, else change nothing and emit it as it is.</summary>
        [Parameter(ParameterSetName = "IfMissing")]
        public SwitchParameter IfMissing { get; set; }

        protected override void ProcessEngramRecord()
        {
            try
            {
                var store = ResolveStore();
                if (IfMissing && store.Exists)
                {
                    // Idempotent: an existing store (even one with another policy) is left exactly as it is.
                    store.EnsureExists(); // a newer format is still an error
                    WriteVerbose($"The Engram store at {store.Root} exists; nothing changed.");
                    WriteObject(EngramMemory.Wrap(new EngramStoreInfo(store.Root, store.Config, store.Backend), EngramStoreInfo.TypeName));
                    return;
                }
                var config = new StoreConfig { TrackAll = TrackAll.IsPresent, Durability = Durability.ToCore() };
                if (MyInvocation.BoundParameters.ContainsKey(nameof(MaxValueBytes))) config.MaxValueBytes = MaxValueBytes;
                if (TrackedNamespace != null)
                    config.TrackedNamespaces = TrackedNamespace.Select(Names.NormalizeNamespace).Distinct().ToList();
                var action = store.Exists ? "Rewrite the configuration of the Engram store" : "Create an Engram store";
                if (!ShouldProcess(store.Root, action)) return;
                var written = store.Initialize(config, Force.IsPresent);
                WriteObject(EngramMemory.Wrap(new EngramStoreInfo(store.Root, written, store.Backend), EngramStoreInfo.TypeName));
            }
            catch (EngramException ex)
            {
                WriteEngramError(ex);
            }
        }
    }
}
