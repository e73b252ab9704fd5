using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>The lineage of a memory: what it was derived from (Up) and what was derived from it (Down), across namespaces.</summary>
    [Cmdlet(VerbsCommon.Get, "EngramLineage")]
    [OutputType(typeof(EngramLineageLink))]
    public sealed class GetEngramLineageCommand : MemoryCmdlet
    {
        /// <summary>How many generations to follow (default 3).</summary>
        [Parameter]
        [ValidateRange(1, 100)]
        public int Depth { get; set; } = 3;

        [Parameter]
        public EngramLineageDirection Direction { get; set; } = EngramLineageDirection.Both;

        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                // Stale: the link made the derived memory's current version, and its source has moved on since.
                foreach (var m in StaleSources.Mark(store, store.GetLineage(Namespace, Key, Depth, Direction.ToCore())))
                    WriteObject(EngramMemory.Wrap(new EngramLineageLink(m.Link, store.Root, m.SourceCurrentVersion, m.Stale), EngramLineageLink.TypeName));
            });
        }
    }
}
