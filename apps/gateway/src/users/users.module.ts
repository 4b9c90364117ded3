import { Module } from '@nestjs/common';
import { DemoUsersSeeder } from './demo-users.seeder.js';
import { MeController } from './me.controller.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  controllers: [MeController, UsersController],
  providers: [UsersRepository, UsersService, DemoUsersSeeder],
  exports: [UsersRepository],
})
export class UsersModule {}
