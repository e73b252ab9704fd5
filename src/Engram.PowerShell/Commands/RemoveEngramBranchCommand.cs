using System.Linq;
using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Deletes a branch and its unmerged changes (histories keep their branch entries).</summary>
    [Cmdlet(VerbsCommon.Remove, "EngramBranch", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    public sealed class RemoveEngramBranchCommand : EngramCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string Namespace { get; set; } = "";

        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("Name")]
        [ArgumentCompleter(typeof(ForkBranchCompleter))]
        public string Branch { get; set; } = "";

        /// <summary>Do not ask the extra question about unmerged changes (the High-impact confirmation itself is
        /// skipped with -Confirm:$false).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                var ns = Names.NormalizeNamespace(Namespace);
                var branch = Names.NormalizeBranch(Branch);
                store.EnsureExists();
                if (branch == Names.DefaultBranch)
                    throw new EngramException(EngramErrorIds.InvalidBranch, EngramErrorKind.InvalidArgument,
                        $"'main' is the main line of '{ns}', not a branch: it cannot be removed (remove its memories with Remove-EngramMemory).", ns + "@" + branch);
                var info = store.GetBranches(ns).FirstOrDefault(b => b.Record.Name == branch)
                           ?? throw new EngramException(EngramErrorIds.BranchNotFound, EngramErrorKind.NotFound, $"There is no branch '{branch}' of namespace '{ns}'.", ns + "@" + branch);
                if (!ShouldProcess($"branch '{branch}' of '{ns}' ({info.ChangedCount} unmerged change(s)) in {store.Root}", "Remove branch")) return;
                if (!Force && info.ChangedCount > 0 && !ShouldContinue($"Branch '{branch}' has {info.ChangedCount} unmerged change(s) that will be lost. Continue?", "Remove branch")) return;
                store.RemoveBranch(ns, branch);
            });
        }
    }
}
