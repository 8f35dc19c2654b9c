// A small GraphQL schema for the GraphQL-over-WebSocket tests: a query, a mutation, a subscription
// that completes, one that fails midway and one that runs until it is stopped.

import { GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { sleep } from './wait.js';

export const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      hello: { type: GraphQLString, args: { name: { type: GraphQLString } }, resolve: (_, a: { name?: string }) => `hello ${a.name ?? 'world'}` },
    },
  }),
  mutation: new GraphQLObjectType({
    name: 'Mutation',
    fields: {
      add: {
        type: GraphQLInt,
        args: { a: { type: new GraphQLNonNull(GraphQLInt) }, b: { type: new GraphQLNonNull(GraphQLInt) } },
        resolve: (_, x: { a: number; b: number }) => x.a + x.b,
      },
    },
  }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      count: {
        type: GraphQLInt,
        args: { to: { type: new GraphQLNonNull(GraphQLInt) } },
        subscribe: async function* (_: unknown, x: { to: number }) {
          for (let i = 1; i <= x.to; i++) yield { count: i };
        },
      },
      boom: {
        type: GraphQLInt,
        subscribe: async function* () {
          yield { boom: 1 };
          throw new Error('boom');
        },
      },
      ticks: {
        type: GraphQLInt,
        subscribe: async function* () {
          for (let i = 1; i <= 100; i++) {
            yield { ticks: i };
            await sleep(100);
          }
        },
      },
    },
  }),
});
