using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Records a connection between two memories in both histories, without changing their values.</summary>
    [Cmdlet(VerbsCommunications.Connect, "EngramMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(EngramProvenanceEntry))]
    public sealed class ConnectEngramMemoryCommand : EngramCmdlet
    {
        /// <summary>'ns/key', or a memory object (also from the pipeline).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        public object From { get; set; } = "";

        /// <summary>'ns/key', or a memory object.</summary>
        [Parameter(Mandatory = true, Position = 1)]
        public object To { get; set; } = "";

        /// <summary>Why the two are connected.</summary>
        [Parameter]
        public string? Reason { get; set; }

        [Parameter]
        public string? Actor { get; set; }

        /// <summary>Emit the two history entries written.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                var from = MemoryRefConverter.Convert(From);
                var to = MemoryRefConverter.Convert(To);
                if (!ShouldProcess($"{from} and {to} in {store.Root}", "Connect memories")) return;
                var (a, b) = store.Connect(from, to, ResolveActor(Actor), Reason);
                if (!PassThru) return;
                WriteObject(EngramMemory.Wrap(new EngramProvenanceEntry(a, store.Root), EngramProvenanceEntry.TypeName));
                WriteObject(EngramMemory.Wrap(new EngramProvenanceEntry(b, store.Root), EngramProvenanceEntry.TypeName));
            });
        }
    }
}
