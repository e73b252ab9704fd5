using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Migrates a store written by an older Engram to the current format, in place and atomically.</summary>
    [Cmdlet(VerbsData.Update, "EngramStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(PSObject))]
    public sealed class UpdateEngramStoreCommand : EngramCmdlet
    {
        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                store.EnsureExists();
                var plan = store.Upgrade(dryRun: true);
                UpgradeReport result = plan;
                if (plan.Changed && ShouldProcess(store.Root, $"Migrate the Engram store from format {plan.FromFormat} to {plan.ToFormat}"))
                    result = store.Upgrade();
                else if (!plan.Changed)
                    WriteVerbose($"The store at {store.Root} is already format {plan.ToFormat}.");
                var o = new PSObject();
                o.Properties.Add(new PSNoteProperty("Store", store.Root));
                o.Properties.Add(new PSNoteProperty("FromFormat", result.FromFormat));
                o.Properties.Add(new PSNoteProperty("ToFormat", result.ToFormat));
                o.Properties.Add(new PSNoteProperty("Applied", result.Applied));
                o.TypeNames.Insert(0, "Engram.UpgradeReport");
                WriteObject(o);
            });
        }
    }
}
