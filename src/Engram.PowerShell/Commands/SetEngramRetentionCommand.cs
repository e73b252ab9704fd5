using System;
using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Sets how long provenance is kept, for the store or one namespace (written to engram.yaml).</summary>
    [Cmdlet(VerbsCommon.Set, "EngramRetention", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Limits")]
    [OutputType(typeof(EngramStoreInfo))]
    public sealed class SetEngramRetentionCommand : EngramCmdlet
    {
        /// <summary>The namespace; omit to set the store's default.</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string? Namespace { get; set; }

        /// <summary>Keep entries younger than this (e.g. (New-TimeSpan -Days 90) or '90.00:00:00').</summary>
        [Parameter(ParameterSetName = "Limits")]
        public TimeSpan? MaxAge { get; set; }

        /// <summary>Keep at most this many entries per memory.</summary>
        [Parameter(ParameterSetName = "Limits")]
        [ValidateRange(1, int.MaxValue)]
        public int? MaxEntries { get; set; }

        /// <summary>Keep history forever (the default policy).</summary>
        [Parameter(Mandatory = true, ParameterSetName = "Forever")]
        public SwitchParameter Forever { get; set; }

        /// <summary>Emit the store's configuration as written (Engram.StoreInfo); by default nothing is output.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                if (!Forever && MaxAge == null && MaxEntries == null)
                    throw new EngramException(EngramErrorIds.InvalidConfiguration, EngramErrorKind.InvalidArgument,
                        "Give -MaxAge and/or -MaxEntries, or -Forever.", Namespace);
                if (MaxAge.HasValue && MaxAge.Value <= TimeSpan.Zero)
                    throw new EngramException(EngramErrorIds.InvalidConfiguration, EngramErrorKind.InvalidArgument, "-MaxAge must be positive.", MaxAge);
                var policy = Forever ? RetentionPolicy.Forever : new RetentionPolicy(MaxAge, MaxEntries);
                var target = Namespace == null ? "the store default" : $"namespace '{Names.NormalizeNamespace(Namespace)}'";
                if (!ShouldProcess(store.Root, $"Set retention of {target} to {policy}")) return;
                var config = store.SetRetention(Namespace, policy);
                if (PassThru) WriteObject(EngramMemory.Wrap(new EngramStoreInfo(store.Root, config, store.Backend), EngramStoreInfo.TypeName));
            });
        }
    }
}
