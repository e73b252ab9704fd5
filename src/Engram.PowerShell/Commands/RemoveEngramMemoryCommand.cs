using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Deletes memories. Tracked memories get a 'deleted' entry; their history is kept.</summary>
    [Cmdlet(VerbsCommon.Remove, "EngramMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "LiteralKey")]
    public sealed class RemoveEngramMemoryCommand : EngramCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string Namespace { get; set; } = "";

        /// <summary>Keys or wildcard patterns (case-sensitive, like keys). A piped memory binds -LiteralKey instead.</summary>
        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = "Key")]
        [SupportsWildcards]
        [Alias("Name")]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [AllowEmptyString]
        public string[] Key { get; set; } = System.Array.Empty<string>();

        /// <summary>Exact keys: no character is a wildcard. Memory objects piped in bind here (by their PSKey property).</summary>
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "LiteralKey")]
        [Alias("PSKey")]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [AllowEmptyString]
        public string[] LiteralKey { get; set; } = System.Array.Empty<string>();


        /// <summary>The branch (default: main, or the branch of a piped memory object; a CSV column never sets it).</summary>
        [Parameter]
        [ArgumentCompleter(typeof(BranchCompleter))]
        [ValidateNotNullOrEmpty]
        public string Branch { get; set; } = "main";

        [Parameter]
        public string? Actor { get; set; }

        [Parameter]
        public string? Reason { get; set; }

        private PipelineBatch<RemoveRequest, RemoveOutcome>? _batch; // piped records: committed together (see PipelineBatch)

        protected override void BeginEngramProcessing()
        {
            _batch = BatchPipedRecords<RemoveRequest, RemoveOutcome>((store, requests) => store.RemoveMany(requests));
        }

        protected override void ProcessEngramRecord()
        {
            if (!TryOpen(Namespace, out var store, out var ns)) return;
            var branch = EffectiveBranch(Branch);

            var selector = ParameterSetName == "LiteralKey" ? KeySelector.From(null, LiteralKey, false)! : KeySelector.From(Key, null, true)!;
            foreach (var (key, wp) in selector.Items)
            {
                if (wp != null)
                {
                    List<string> matches;
                    try { matches = store.ListKeys(ns, branch).Where(k => wp.IsMatch(k) || k == key).ToList(); }
                    catch (EngramException ex) { WriteEngramError(ex); continue; }
                    foreach (var k in matches) RemoveOne(store, ns, k, branch);
                }
                else
                {
                    RemoveOne(store, ns, key, branch);
                }
            }
        }

        private void RemoveOne(IEngramStore store, string ns, string key, string branch)
        {
            Try(() =>
            {
                Names.ValidateKey(key);
                if (store.TryGet(ns, key, branch) == null) throw new EngramException(EngramErrorIds.MemoryNotFound, EngramErrorKind.NotFound,
                    $"No memory '{key}' in namespace '{ns}'.", ns + "/" + key);
                var onBranch = Names.NormalizeBranch(branch) == Names.DefaultBranch ? "" : "@" + branch;
                if (!ShouldProcess($"{ns}/{key}{onBranch} in {store.Root}", "Remove memory")) return;
                if (_batch == null)
                {
                    Report(ns, key, store.Remove(ns, key, ResolveActor(Actor), Reason, branch));
                    return;
                }
                _batch.Add(store, new RemoveRequest(ns, key) { Actor = ResolveActor(Actor), Reason = Reason, Branch = branch }, 0, outcome =>
                {
                    if (outcome.Error != null) WriteErrorNow(AsEngramException(outcome.Error));
                    else Report(ns, key, outcome.Entry);
                });
            });
        }

        private void Report(string ns, string key, Engram.Core.Provenance.ProvenanceEntry? entry) =>
            WriteVerbose(entry == null ? $"Removed {ns}/{key} (untracked: no history)." : $"Removed {ns}/{key}; history kept (entry {entry.Seq}).");
    }
}
