// ESLint flat config for the labextension's TypeScript source.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'lib/',
      'node_modules/',
      'mlwork_jupyter/',
      '.venv/',
      'test-artifacts/',
      '**/*.js',
      '**/*.mjs'
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname
      }
    },
    rules: {
      '@typescript-eslint/array-type': ['error', { default: 'array-simple' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true }
      ],
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ],
      eqeqeq: 'error',
      'no-restricted-properties': [
        'error',
        {
          property: 'innerHTML',
          message: 'Payload text is untrusted: use textContent.'
        },
        {
          property: 'outerHTML',
          message: 'Payload text is untrusted: use textContent.'
        },
        {
          property: 'insertAdjacentHTML',
          message: 'Payload text is untrusted: use textContent.'
        }
      ]
    }
  }
);
