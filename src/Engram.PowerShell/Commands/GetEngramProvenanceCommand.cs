using System.Linq;
using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Gets the provenance history of memories, oldest first, with the value each version had.</summary>
    [Cmdlet(VerbsCommon.Get, "EngramProvenance", DefaultParameterSetName = "History")]
    [OutputType(typeof(EngramProvenanceEntry), ParameterSetName = new[] { "History" })]
    [OutputType(typeof(EngramProvenanceHead), ParameterSetName = new[] { "Head" })]
    public sealed class GetEngramProvenanceCommand : EngramCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string Namespace { get; set; } = "";

        /// <summary>Keys (wildcards allowed); default every tracked memory of the namespace.</summary>
        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = "History")]
        [SupportsWildcards]
        [Alias("Name")]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [ValidateNotNull] // an empty key is refused with InvalidKey
        public string[] Key { get; set; } = { "*" };

        /// <summary>Exact keys: no character is a wildcard. Memory objects piped in bind here (by their PSKey property).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "History")]
        [Alias("PSKey")]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [ValidateNotNull]
        public string[]? LiteralKey { get; set; }

        /// <summary>Only the newest entry of each memory: who last changed what (a blame view of a namespace).</summary>
        [Parameter(ParameterSetName = "History")]
        public SwitchParameter Latest { get; set; }

        /// <summary>Instead of entries: the namespace's head (every memory's last seq and hash, and a digest) to save
        /// elsewhere as an anchor for Test-EngramProvenance -Anchor.</summary>
        [Parameter(Mandatory = true, ParameterSetName = "Head")]
        public SwitchParameter Head { get; set; }

        /// <summary>Entries of this branch (default main); '*' for every branch.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = "History")]
        [ArgumentCompleter(typeof(BranchCompleter))]
        [ValidateNotNullOrEmpty]
        public string Branch { get; set; } = "main";

        /// <summary>Only the newest N entries (read from the end of the history: cost independent of its length).</summary>
        [Parameter(ParameterSetName = "History")]
        [ValidateRange(1, int.MaxValue)]
        public int Last { get; set; }

        private bool _keyFromCommandLine;

        protected override void BeginProcessing() => _keyFromCommandLine = MyInvocation.BoundParameters.ContainsKey(nameof(Key));

        protected override void ProcessRecord()
        {
            if (!TryOpen(Namespace, out var store, out var ns)) return;

            if (Head)
            {
                Try(() => WriteObject(EngramMemory.Wrap(new EngramProvenanceHead(store.GetHead(ns), store.Root), EngramProvenanceHead.TypeName)));
                return;
            }

            foreach (var (key, wp) in KeySelector.From(Key, LiteralKey, _keyFromCommandLine)!.Items)
            {
                if (wp != null)
                {
                    foreach (var k in store.List(ns).Where(l => l.Key != null && (wp.IsMatch(l.Key) || l.Key == key)).Select(l => l.Key!))
                        if (store.HasProvenance(ns, k)) WriteHistory(store, ns, k);
                }
                else
                {
                    WriteHistory(store, ns, key);
                }
            }
        }

        private void WriteHistory(IEngramBackend store, string ns, string key) =>
            Try(() =>
            {
                int? last = Latest ? 1 : MyInvocation.BoundParameters.ContainsKey(nameof(Last)) ? Last : (int?)null;
                foreach (var e in store.GetProvenance(ns, key, last, true, Branch))
                    WriteObject(EngramMemory.Wrap(new EngramProvenanceEntry(e, store.Root), EngramProvenanceEntry.TypeName));
            });
    }
}
