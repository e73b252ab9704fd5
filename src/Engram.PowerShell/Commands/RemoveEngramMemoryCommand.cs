using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Deletes memories. Tracked memories get a 'deleted' entry; their history is kept.</summary>
    [Cmdlet(VerbsCommon.Remove, "EngramMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    public sealed class RemoveEngramMemoryCommand : EngramCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string Namespace { get; set; } = "";

        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [Alias("Name")]
        [ArgumentCompleter(typeof(KeyCompleter))]
        public string[] Key { get; set; } = new string[0];


        /// <summary>The branch (default: main).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(BranchCompleter))]
        [ValidateNotNullOrEmpty]
        public string Branch { get; set; } = "main";

        [Parameter]
        public string? Actor { get; set; }

        [Parameter]
        public string? Reason { get; set; }

        protected override void ProcessRecord()
        {
            if (!TryOpen(Namespace, out var store, out var ns)) return;

            foreach (var key in Key)
            {
                if (WildcardPattern.ContainsWildcardCharacters(key))
                {
                    var wp = new WildcardPattern(key, WildcardOptions.IgnoreCase);
                    List<string> matches;
                    try { matches = store.ListKeys(ns, Branch).Where(k => wp.IsMatch(k) || k == key).ToList(); }
                    catch (EngramException ex) { WriteEngramError(ex); continue; }
                    foreach (var k in matches) RemoveOne(store, ns, k);
                }
                else
                {
                    RemoveOne(store, ns, key);
                }
            }
        }

        private void RemoveOne(IEngramBackend store, string ns, string key)
        {
            Try(() =>
            {
                Names.ValidateKey(key);
                if (store.TryGet(ns, key, Branch) == null) throw new EngramException(EngramErrorIds.MemoryNotFound, EngramErrorKind.NotFound,
                    $"No memory '{key}' in namespace '{ns}'.", ns + "/" + key);
                var onBranch = Names.NormalizeBranch(Branch) == Names.DefaultBranch ? "" : "@" + Branch;
                if (!ShouldProcess($"{ns}/{key}{onBranch} in {store.Root}", "Remove memory")) return;
                var entry = store.Remove(ns, key, ResolveActor(Actor), Reason, Branch);
                WriteVerbose(entry == null ? $"Removed {ns}/{key} (untracked: no history)." : $"Removed {ns}/{key}; history kept (entry {entry.Seq}).");
            });
        }
    }
}
