# build.ps1 in real pwsh (the repository's `dotnet pwsh`): its help, and the demo the README's first command runs.
BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }

Describe 'build.ps1' {
    It 'shows its comment-based help with Get-Help' {
        $help = Get-Help (Join-Path $script:RepoRoot 'build.ps1') -Full
        $help.Synopsis | Should -Match 'Builds, tests, stages and publishes'
        $help.Parameters.Parameter.Name | Should -Contain 'Publish'
        $help.Parameters.Parameter.Name | Should -Contain 'Demo'
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 3
    }

    It 'runs the quick start with -Demo in real pwsh' {
        $store = New-TestStore
        $run = Invoke-TestPwsh -File 'build.ps1' -ArgumentList '-SkipBuild', '-Demo' -Environment @{ ENGRAM_STORE = $store }
        $run.Errors | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Match 'port \+ 1 = 8081'
        $run.Output | Should -Match 'merged: deploy-target'
        $run.Output | Should -Match 'healthy: True; memories: 3'
    }

    It 'fails with a non-zero exit code when a step fails' {
        $run = Invoke-TestPwsh -File 'build.ps1' -ArgumentList '-SkipBuild', '-Configuration', 'Nope'
        $run.ExitCode | Should -Not -Be 0
        $run.Errors | Should -Match 'Configuration'
    }
}
