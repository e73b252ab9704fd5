using System.Linq;
using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Creates or revises a memory; tracked memories get a provenance entry in the same atomic change.</summary>
    [Cmdlet(VerbsCommon.Set, "EngramMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(EngramMemory))]
    public sealed class SetEngramMemoryCommand : MemoryCmdlet
    {
        /// <summary>Any PowerShell data: strings, numbers, booleans, dates, arrays, hashtables, objects.</summary>
        [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true)]
        [AllowNull, AllowEmptyString, AllowEmptyCollection]
        public object? Value { get; set; }

        /// <summary>Tags; when omitted the memory keeps its current tags.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Tags")]
        [AllowEmptyCollection]
        public string[]? Tag { get; set; }

        /// <summary>Who makes the change. Default: $env:ENGRAM_ACTOR, else the OS user name.</summary>
        [Parameter]
        public string? Actor { get; set; }

        /// <summary>Why the change is made; recorded in the provenance entry.</summary>
        [Parameter]
        public string? Reason { get; set; }

        /// <summary>Force provenance on (-TrackProvenance) or off (-TrackProvenance:$false) for this write.</summary>
        [Parameter]
        public SwitchParameter TrackProvenance { get; set; }


        /// <summary>The branch (default: main).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(BranchCompleter))]
        [ValidateNotNullOrEmpty]
        public string Branch { get; set; } = "main";

        /// <summary>The provenance action: revised (default for changes), synthesized, crystallized, … (a lower-case word).</summary>
        [Parameter]
        [ArgumentCompleter(typeof(ActionCompleter))]
        public string? Action { get; set; }

        /// <summary>Memories the value was derived from: 'ns/key', 'ns/key@version', or memory objects. Each is
        /// recorded pinned to the exact version used, and indexed so Get-EngramLineage -Direction Down is cheap.</summary>
        [Parameter]
        public object[]? DerivedFrom { get; set; }

        /// <summary>How sure the actor is of the value, from 0 to 1.</summary>
        [Parameter]
        [ValidateRange(0.0, 1.0)]
        public double? Confidence { get; set; }

        /// <summary>Write only if the memory is at this version now (0: only if it does not exist yet); otherwise the write is
        /// refused with VersionConflict and nothing changes. The check is made under the store's write lock.</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int? ExpectedVersion { get; set; }

        /// <summary>Emit the memory as written.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            try
            {
                var store = ResolveStore();
                var request = new SetRequest(Namespace, Key, ValueConverter.ToCore(Value))
                {
                    Tags = Tag,
                    Actor = ResolveActor(Actor),
                    Reason = Reason,
                    Branch = Branch,
                    Action = Action,
                    Confidence = Confidence,
                    ExpectedVersion = ExpectedVersion,
                    DerivedFrom = DerivedFrom?.Select(MemoryRefConverter.Convert).ToList(),
                    TrackProvenance = MyInvocation.BoundParameters.ContainsKey(nameof(TrackProvenance)) ? TrackProvenance.IsPresent : (bool?)null,
                };
                Names.NormalizeNamespace(Namespace);
                Names.ValidateKey(Key);
                var onBranch = Names.NormalizeBranch(Branch) == Names.DefaultBranch ? "" : "@" + Branch;
                if (!ShouldProcess($"{Namespace}/{Key}{onBranch} in {store.Root}", "Set memory")) return;
                var result = store.Set(request);
                if (!result.Changed) WriteVerbose($"{result.Memory.Namespace}/{Key} already holds that value (version {result.Memory.Version}); nothing written.");
                else WriteVerbose($"{result.Memory.Namespace}/{Key} is now version {result.Memory.Version}{(result.Entry != null ? $" (provenance entry {result.Entry.Seq})" : " (untracked)")}.");
                if (PassThru) WriteObject(new EngramMemory(result.Memory, store.Root).ToPSObject());
            }
            catch (EngramException ex)
            {
                WriteEngramError(ex);
            }
        }
    }
}
