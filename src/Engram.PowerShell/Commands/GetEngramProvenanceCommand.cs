using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Engram.Core;
using Engram.Core.Provenance;

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

        /// <summary>On main: also the entries the merged branches wrote before each merge (forked, revised…), in
        /// history order — the merged story, as git log shows it.</summary>
        [Parameter(ParameterSetName = "History")]
        public SwitchParameter IncludeMerged { get; set; }

        private bool _keyFromCommandLine, _literalKeyFromCommandLine;

        protected override void BeginEngramProcessing()
        {
            _keyFromCommandLine = MyInvocation.BoundParameters.ContainsKey(nameof(Key));
            _literalKeyFromCommandLine = MyInvocation.BoundParameters.ContainsKey(nameof(LiteralKey));
        }

        protected override void ProcessEngramRecord()
        {
            if (!TryOpen(Namespace, out var store, out var ns)) return;

            if (Head)
            {
                Try(() => WriteObject(EngramMemory.Wrap(new EngramProvenanceHead(store.GetHead(ns), store.Root), EngramProvenanceHead.TypeName)));
                return;
            }

            // Memories piped in (Get-EngramMemory | Get-EngramProvenance): the untracked ones have no history to show and
            // are skipped quietly, like a pattern skips them; a key named on the command line still gets NoProvenance.
            bool piped = LiteralKey != null ? !_literalKeyFromCommandLine : !_keyFromCommandLine && MyInvocation.ExpectingInput;
            foreach (var (key, wp) in KeySelector.From(Key, LiteralKey, _keyFromCommandLine)!.Items)
            {
                if (wp != null)
                {
                    foreach (var k in store.List(ns).Where(l => l.Key != null && (wp.IsMatch(l.Key) || l.Key == key)).Select(l => l.Key!))
                        if (store.HasProvenance(ns, k)) WriteHistory(store, ns, k);
                }
                else if (piped && SafeUntracked(store, ns, key))
                {
                    WriteVerbose($"{ns}/{key} is not tracked: it has no history.");
                }
                else
                {
                    WriteHistory(store, ns, key);
                }
            }
        }

        /// <summary>True when the memory exists and has no history (an error reading it is left to WriteHistory).</summary>
        private static bool SafeUntracked(IEngramStore store, string ns, string key)
        {
            try { return !store.HasProvenance(ns, key) && store.TryGet(ns, key) != null; }
            catch (EngramException) { return false; }
        }

        private void WriteHistory(IEngramStore store, string ns, string key) =>
            Try(() =>
            {
                int? last = Latest ? 1 : MyInvocation.BoundParameters.ContainsKey(nameof(Last)) ? Last : (int?)null;
                IEnumerable<ProvenanceEntry> entries;
                if (IncludeMerged && Names.NormalizeBranch(Branch) == Names.DefaultBranch)
                {
                    var all = store.GetProvenance(ns, key, null, true, "*").ToList();
                    var story = MergedStory(all);
                    entries = last.HasValue ? story.Skip(Math.Max(0, story.Count - last.Value)) : story;
                }
                else entries = store.GetProvenance(ns, key, last, true, Branch);
                foreach (var e in entries)
                    WriteObject(EngramMemory.Wrap(new EngramProvenanceEntry(e, store.Root), EngramProvenanceEntry.TypeName));
            });

        /// <summary>Main's entries plus, for each 'merged' entry, the entries its branch wrote before it (in seq order).</summary>
        private static List<ProvenanceEntry> MergedStory(List<ProvenanceEntry> all)
        {
            // Per merged branch: the seq of its last merge into main; its entries up to there are part of main's story.
            var mergedUpTo = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var e in all)
                if (e.Branch == Names.DefaultBranch && e.Action == ProvenanceActions.Merged && e.Details != null
                    && e.Details.TryGetValue("from", out var from) && from is string branch)
                    mergedUpTo[branch] = e.Seq;
            return all.Where(e => e.Branch == Names.DefaultBranch || (mergedUpTo.TryGetValue(e.Branch, out var upTo) && e.Seq < upTo))
                .OrderBy(e => e.Seq).ToList();
        }
    }
}
