using System.Management.Automation;

namespace Engram.PowerShell.Commands
{
    /// <summary>Shows a store's configuration: backend, format, provenance policy, durability, retention, embeddings.</summary>
    [Cmdlet(VerbsCommon.Get, "EngramStore")]
    [OutputType(typeof(EngramStoreInfo))]
    public sealed class GetEngramStoreCommand : EngramCmdlet
    {
        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                store.EnsureExists();
                WriteObject(EngramMemory.Wrap(new EngramStoreInfo(store.Root, store.Config, store.Backend), EngramStoreInfo.TypeName));
            });
        }
    }
}
