import { describe, expect, test } from 'vitest';
import { parseConfigText } from '../config/index.ts';
import type { LoadedPluginModule } from '../config/schema.ts';
import { silentLogger } from '../log/index.ts';
import { definePlugin } from './define-plugin.ts';
import { PluginHost } from './plugin-host.ts';
import type { PluginDefinition } from './types.ts';

function configWith(yaml: string, plugins: Record<string, PluginDefinition>) {
  const modules = new Map<string, LoadedPluginModule>(
    Object.entries(plugins).map(([name, definition]) => [name, { ok: true, definition }]),
  );
  return parseConfigText(`listeners: [{ port: 0 }]\n${yaml}`, 't.yaml', { pluginModules: modules });
}

describe('PluginHost', () => {
  test('sets up global plugins, then each route’s; tells them of a replacement; disposes in reverse', async () => {
    const events: string[] = [];
    const recorder = (label: string) =>
      definePlugin({
        name: label,
        setup(api) {
          events.push(`setup ${api.name}${api.route === undefined ? '' : `@${api.route}`}`);
          api.onReplace(() => events.push(`replaced ${api.name}`));
          api.onDispose(() => {
            events.push(`dispose ${api.name}`);
          });
        },
      });
    const config = configWith(
      `plugins: [p:a, p:b]\nroutes: [{ name: r, cluster: c, plugins: [p:c] }]\nclusters:\n  c: { backends: ["127.0.0.1:1"] }\n`,
      { 'p:a': recorder('a'), 'p:b': recorder('b'), 'p:c': recorder('c') },
    );
    const host = await PluginHost.start(config, silentLogger());
    expect(events).toEqual(['setup a', 'setup b', 'setup c@r']);
    host.replaced();
    await host.dispose();
    expect(events.slice(3)).toEqual([
      'replaced a',
      'replaced b',
      'replaced c',
      'dispose c',
      'dispose b',
      'dispose a',
    ]);
  });

  test('a post-load hook that refuses the config stops the start and disposes what was set up', async () => {
    const events: string[] = [];
    const refuser = definePlugin({
      name: 'refuser',
      setup(api) {
        api.onDispose(() => {
          events.push('disposed');
        });
        api.onPostLoad(() => {
          throw new Error('no route named health');
        });
      },
    });
    const config = configWith('plugins: [p:r]\n', { 'p:r': refuser });
    await expect(PluginHost.start(config, silentLogger())).rejects.toMatchObject({
      code: 'JCT_ERR_PLUGIN_INVALID',
      plugin: 'refuser',
      message: "plugin 'refuser' refused the config in post-load: no route named health",
    });
    expect(events).toEqual(['disposed']);
  });

  test('hook() checks its point and function; a global-only API from a route plugin fails its setup', async () => {
    const bad = (register: (api: Parameters<PluginDefinition['setup']>[0]) => void) =>
      definePlugin({ name: 'bad', setup: register });
    const global = (plugin: PluginDefinition) => configWith('plugins: [p:x]\n', { 'p:x': plugin });
    await expect(
      PluginHost.start(
        global(
          bad((api) => {
            api.hook('ua-req' as never, () => undefined);
          }),
        ),
        silentLogger(),
      ),
    ).rejects.toThrow(/'ua-req' is not a hook point/);
    await expect(
      PluginHost.start(
        global(
          bad((api) => {
            api.hook('remap', 'nope' as never);
          }),
        ),
        silentLogger(),
      ),
    ).rejects.toThrow(/must be a function/);
    const routed = configWith(
      `routes: [{ name: r, cluster: c, plugins: [p:x] }]\nclusters:\n  c: { backends: ["127.0.0.1:1"] }\n`,
      {
        'p:x': bad((api) => {
          api.onSession({});
        }),
      },
    );
    await expect(PluginHost.start(routed, silentLogger())).rejects.toThrow(
      /onSession\(\) is for global plugins/,
    );
  });
});
