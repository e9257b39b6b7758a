package dev.dockbridge.cli.command;

import java.util.concurrent.Callable;

import dev.dockbridge.cli.CliContext;
import dev.dockbridge.cli.ExitCodes;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "completion", mixinStandardHelpOptions = true, description = {
        "Print shell completion for bash, zsh or fish.",
        "bash: source <(dockbridge completion bash)   (or save it in /etc/bash_completion.d/dockbridge)",
        "zsh:  source <(dockbridge completion zsh)    (in ~/.zshrc)",
        "fish: dockbridge completion fish | source    (or save it in ~/.config/fish/completions/dockbridge.fish)"})
public final class CompletionCommand implements Callable<Integer> {
    enum Shell { bash, zsh, fish }

    private final CliContext ctx;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SHELL", description = "bash, zsh or fish")
    Shell shell;

    public CompletionCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        if (shell == Shell.fish) {
            ctx.out().print(FishCompletion.script(spec.root()));
            ctx.out().flush();
            return ExitCodes.OK;
        }
        // picocli's script serves both shells: under zsh it loads bashcompinit itself.
        String script = AutoComplete.bash("dockbridge", spec.root().commandLine());
        if (shell == Shell.zsh) {
            ctx.out().println("# dockbridge completion for zsh (bash-style, through bashcompinit)");
        }
        ctx.out().print(script);
        ctx.out().flush();
        return ExitCodes.OK;
    }
}
