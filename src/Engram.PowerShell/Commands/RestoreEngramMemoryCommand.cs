using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Writes the value an earlier version had as a new version (history gets a 'restored' entry).</summary>
    [Cmdlet(VerbsData.Restore, "EngramMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(EngramMemory))]
    public sealed class RestoreEngramMemoryCommand : MemoryCmdlet
    {
        /// <summary>The version whose value to bring back.</summary>
        [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true)]
        [ValidateRange(1, int.MaxValue)]
        public int Version { get; set; }

        /// <summary>The branch (default: main, or the branch of a piped memory object; a CSV column never sets it).</summary>
        [Parameter]
        [ArgumentCompleter(typeof(BranchCompleter))]
        [ValidateNotNullOrEmpty]
        public string Branch { get; set; } = "main";

        [Parameter]
        public string? Actor { get; set; }

        [Parameter]
        public string? Reason { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                store.EnsureExists();
                if (!ShouldProcess($"{Namespace}/{Key} in {store.Root}", $"Restore version {Version}")) return;
                var result = store.Restore(Namespace, Key, Version, ResolveActor(Actor), Reason, EffectiveBranch(Branch));
                WriteVerbose(result.Changed
                    ? $"{Namespace}/{Key} is now version {result.Memory.Version}, with the value of version {Version}."
                    : $"{Namespace}/{Key} already holds the value of version {Version}; nothing written.");
                if (PassThru) WriteObject(new EngramMemory(result.Memory, store.Root).ToPSObject());
            });
        }
    }
}
