using System.Linq;
using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Lists namespaces: the standard ones and every one in use, with policy and memory count.</summary>
    [Cmdlet(VerbsCommon.Get, "EngramNamespace")]
    [OutputType(typeof(EngramNamespace))]
    public sealed class GetEngramNamespaceCommand : EngramCmdlet
    {
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; } = { "*" };

        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                store.EnsureExists();
                var patterns = Name.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
                foreach (var info in store.GetNamespaces())
                    if (patterns.Any(p => p.IsMatch(info.Name)))
                        WriteObject(EngramMemory.Wrap(new EngramNamespace(info, store.Root), EngramNamespace.TypeName));
            });
        }
    }
}
