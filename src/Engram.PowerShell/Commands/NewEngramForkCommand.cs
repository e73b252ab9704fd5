using System.Linq;
using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Forks a namespace, or some of its memories, into a named branch (an alternative line of thought).</summary>
    [Cmdlet(VerbsCommon.New, "EngramFork", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(EngramBranch))]
    public sealed class NewEngramForkCommand : EngramCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string Namespace { get; set; } = "";

        /// <summary>The memories to fork; omit to fork the whole namespace (nothing is copied).</summary>
        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("Name")]
        [ArgumentCompleter(typeof(KeyCompleter))]
        public string[]? Key { get; set; }

        /// <summary>The new branch's name.</summary>
        [Parameter(Mandatory = true)]
        public string Branch { get; set; } = "";

        [Parameter]
        public string? Actor { get; set; }

        [Parameter]
        public string? Reason { get; set; }

        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                var ns = Names.NormalizeNamespace(Namespace);
                var what = Key == null ? $"namespace '{ns}'" : $"{string.Join(", ", Key)} in '{ns}'";
                if (!ShouldProcess($"{what} in {store.Root}", $"Fork into branch '{Branch}'")) return;
                store.Fork(ns, Branch, Key, ResolveActor(Actor), Reason);
                var info = store.GetBranches(ns).First(b => b.Record.Name == Names.NormalizeBranch(Branch));
                WriteObject(EngramMemory.Wrap(new EngramBranch(info, store.Root), EngramBranch.TypeName));
            });
        }
    }
}
