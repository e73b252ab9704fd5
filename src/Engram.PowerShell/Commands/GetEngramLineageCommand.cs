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

        protected override void ProcessRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                var versions = new System.Collections.Generic.Dictionary<string, int?>(System.StringComparer.Ordinal);
                int? Current(string ns, string key)
                {
                    if (!versions.TryGetValue(ns + "/" + key, out var v)) versions[ns + "/" + key] = v = store.TryGet(ns, key)?.Version;
                    return v;
                }
                foreach (var link in store.GetLineage(Namespace, Key, Depth, Direction.ToCore()))
                {
                    // Stale: the link made the derived memory's current version, and its source has moved on since.
                    var now = Current(link.SourceNamespace, link.SourceKey);
                    var stale = Current(link.Namespace, link.Key) == link.Version && now != link.SourceVersion;
                    WriteObject(EngramMemory.Wrap(new EngramLineageLink(link, store.Root, now, stale), EngramLineageLink.TypeName));
                }
            });
        }
    }
}
