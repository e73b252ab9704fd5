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

        [Parameter]
        public string? Actor { get; set; }

        [Parameter]
        public string? Reason { get; set; }

        protected override void ProcessRecord()
        {
            EngramStore store;
            string ns;
            try
            {
                store = ResolveStore();
                ns = Names.NormalizeNamespace(Namespace);
                store.EnsureExists();
            }
            catch (EngramException ex)
            {
                WriteEngramError(ex);
                return;
            }

            foreach (var key in Key)
            {
                if (WildcardPattern.ContainsWildcardCharacters(key))
                {
                    var wp = new WildcardPattern(key, WildcardOptions.IgnoreCase);
                    var matches = store.List(ns).Where(l => l.Key != null && (wp.IsMatch(l.Key) || l.Key == key)).Select(l => l.Key!).ToList();
                    foreach (var k in matches) RemoveOne(store, ns, k);
                }
                else
                {
                    RemoveOne(store, ns, key);
                }
            }
        }

        private void RemoveOne(EngramStore store, string ns, string key)
        {
            Try(() =>
            {
                Names.ValidateKey(key);
                if (store.TryGet(ns, key) == null) throw new EngramException(EngramErrorIds.MemoryNotFound, EngramErrorKind.NotFound,
                    $"No memory '{key}' in namespace '{ns}'.", ns + "/" + key);
                if (!ShouldProcess($"{ns}/{key} in {store.Root}", "Remove memory")) return;
                var entry = store.Remove(ns, key, ResolveActor(Actor), Reason);
                WriteVerbose(entry == null ? $"Removed {ns}/{key} (untracked: no history)." : $"Removed {ns}/{key}; history kept (entry {entry.Seq}).");
            });
        }
    }
}
