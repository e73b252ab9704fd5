using System.Linq;
using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Lists branches: name, namespace, memories changed, forked-from, created, actor.</summary>
    [Cmdlet(VerbsCommon.Get, "EngramBranch")]
    [OutputType(typeof(EngramBranch))]
    public sealed class GetEngramBranchCommand : EngramCmdlet
    {
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string Namespace { get; set; } = "*";

        [Parameter(Position = 1)]
        [SupportsWildcards]
        [Alias("Branch")]
        [ArgumentCompleter(typeof(BranchCompleter))]
        public string Name { get; set; } = "*";

        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                store.EnsureExists();
                var nsPattern = new WildcardPattern(Namespace, WildcardOptions.IgnoreCase);
                var namePattern = new WildcardPattern(Name, WildcardOptions.IgnoreCase);
                var found = store.GetBranches().Where(b => nsPattern.IsMatch(b.Record.Namespace) && namePattern.IsMatch(b.Record.Name)).ToList();
                foreach (var b in found) WriteObject(EngramMemory.Wrap(new EngramBranch(b, store.Root), EngramBranch.TypeName));
                if (found.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(Name))
                    WriteEngramError(new EngramException(EngramErrorIds.BranchNotFound, EngramErrorKind.NotFound,
                        $"There is no branch '{Name}'{(Namespace == "*" ? "" : $" of namespace '{Namespace}'")}.", Name));
            });
        }
    }
}
