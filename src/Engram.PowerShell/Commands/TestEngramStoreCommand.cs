using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Checks a store: memory files, provenance hash chains, branches, interrupted writes; -Repair fixes the safe ones.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "EngramStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(EngramStoreReport), typeof(bool))]
    public sealed class TestEngramStoreCommand : EngramCmdlet
    {
        /// <summary>Finish or discard interrupted transactions, delete orphaned temp files, cut incomplete trailing entries.</summary>
        [Parameter]
        public SwitchParameter Repair { get; set; }

        /// <summary>Return only $true (healthy) or $false.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                bool repair = Repair.IsPresent && ShouldProcess(store.Root, "Repair the Engram store");
                var report = store.Verify(repair, (done, total, ns) => WriteProgressStep(2, "Verifying Engram store", done, total, ns));
                foreach (var f in report.Findings)
                {
                    if (f.Repaired) WriteVerbose("Repaired: " + f.Message);
                    else if (f.Severity == FindingSeverity.Warning) WriteWarning(f.Message);
                }
                if (Quiet) WriteObject(report.Healthy);
                else WriteObject(EngramMemory.Wrap(new EngramStoreReport(report), EngramStoreReport.TypeName));
            });
        }
    }
}
